import Synchronization

/// Measures the time spent inside BLAS matrix products, and their floating-point operations,
/// while a closure runs (in this task only, and in the parts of a `DataParallel.run` it starts) — for benchmarks that state the rate a model's matrix
/// work reaches inside a full forward pass, beside `bench matmul`'s sgemm rate.
public final class MatrixProductTimer: Sendable {
    @TaskLocal static var current: MatrixProductTimer?
    /// How many parts of one computation run products at the same time (`DataParallel.run`):
    /// each part's product time counts `1/concurrentParts`, so the total stays wall-clock time.
    @TaskLocal static var concurrentParts = 1

    private let nanoseconds = Atomic<Int>(0)
    private let operations = Atomic<Int>(0)

    private init() {}

    /// What `measuring` saw: seconds inside products and their `2 m n k` operations.
    public struct Totals: Sendable {
        /// Wall-clock seconds spent inside the products.
        public let seconds: Double
        /// Floating-point operations of the products (`2 m n k` each).
        public let operations: Double
    }

    /// Runs `body` and returns the time and operations of the matrix products it made.
    public static func measuring(_ body: () throws -> Void) rethrows -> Totals {
        let timer = MatrixProductTimer()
        try $current.withValue(timer) { try body() }
        return Totals(seconds: Double(timer.nanoseconds.load(ordering: .relaxed)) * 1e-9,
                      operations: Double(timer.operations.load(ordering: .relaxed)))
    }

    /// Runs one product `[m, k] · [k, n]`, timing it when someone is measuring.
    @inline(__always)
    static func timing(m: Int, n: Int, k: Int, _ product: () -> Void) {
        guard let timer = current else { return product() }
        let clock = ContinuousClock()
        let elapsed = clock.measure(product)
        let nanoseconds = Int(elapsed.components.seconds) * 1_000_000_000 + Int(elapsed.components.attoseconds / 1_000_000_000)
        timer.nanoseconds.add(nanoseconds / concurrentParts, ordering: .relaxed)
        timer.operations.add(2 * m * n * k, ordering: .relaxed)
    }
}
