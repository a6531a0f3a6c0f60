import Synchronization

/// Counts the BLAS matrix products (`sgemm` calls) made while a closure runs, in this task only.
///
/// It exists so that tests and benchmarks can see work that was done or skipped: a backward pass
/// through a frozen weight must not compute that weight's gradient product.
public final class MatrixProductCounter: Sendable {
    @TaskLocal static var current: MatrixProductCounter?

    private let calls = Atomic<Int>(0)

    private init() {}

    /// Runs `body` and returns how many matrix products it made (in this task and its children).
    public static func countingProducts(in body: () throws -> Void) rethrows -> Int {
        let counter = MatrixProductCounter()
        try $current.withValue(counter) { try body() }
        return counter.calls.load(ordering: .relaxed)
    }

    /// Notes one matrix product, when someone is counting.
    static func recordProduct() {
        current?.calls.add(1, ordering: .relaxed)
    }
}
