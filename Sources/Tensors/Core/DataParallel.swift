import Foundation

/// Independent pieces of one computation run side by side, one per thread the linear-algebra
/// backend is allowed, each with single-threaded matrix products.
///
/// Why: with two threads inside every product, the work between products (normalization,
/// activations, softmax, copies) runs on one core while the other waits, and each product pays
/// to split and join. When the work itself splits into independent pieces (the rows of a batch
/// at inference), running the pieces apart keeps every core busy all the time. Results do not
/// depend on the split: each piece computes exactly what it computes alone.
public enum DataParallel {
    /// How many pieces `run` uses for `items` independent items: the backend's thread count,
    /// at most `items`, at least 1.
    public static func partCount(items: Int) -> Int { max(1, min(BLAS.threadCount, items)) }

    /// `body(part)` for `part` in `0..<parts`, concurrently, each with one-thread matrix products
    /// (the backend's thread count is restored after); the results in part order. The caller's
    /// no-gradient mode (`Tensor.withoutGradients`) and product timing (`MatrixProductTimer`)
    /// carry into every part. `body` must not write anything another part reads or writes.
    /// - Throws: the error of the lowest-numbered part that threw.
    public static func run<T>(parts: Int, _ body: (Int) throws -> T) throws -> [T] {
        guard parts > 1 else { return try (0..<max(parts, 0)).map(body) }
        // One run at a time sets and restores the backend's thread count (two overlapping runs
        // would otherwise restore each other's 1).
        exclusive.lock()
        defer { exclusive.unlock() }
        let threads = BLAS.threadCount
        BLAS.threadCount = 1
        defer { BLAS.threadCount = threads }
        return try runParts(parts, body)
    }

    /// `run` for a body that cannot fail: `body(part)` for `part` in `0..<parts`, side by side.
    public static func forEachPart(_ parts: Int, _ body: (Int) -> Void) {
        // `run` rethrows only what a part threw, and these parts cannot throw.
        _ = try! run(parts: parts) { part -> Void in body(part) }
    }

    private static let exclusive = NSLock()

    private static func runParts<T>(_ parts: Int, _ body: (Int) throws -> T) throws -> [T] {
        let (recording, timer) = (TapeMode.recording, MatrixProductTimer.current)
        let slots = ResultSlots<T>(count: parts)
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                slots.set(part, Result {
                    try TapeMode.$recording.withValue(recording) {
                        // Each part's time inside products counts 1/parts: the parts run at once,
                        // so the timer keeps measuring wall-clock time spent in products.
                        try MatrixProductTimer.$current.withValue(timer) {
                            try MatrixProductTimer.$concurrentParts.withValue(parts) { try shared.value(part) }
                        }
                    }
                })
            }
        }
        return try slots.results.map { try $0.get() }
    }
}

/// One result slot per part, each written by its own part only.
private final class ResultSlots<T>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Result<T, any Error>?>
    let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func set(_ part: Int, _ result: Result<T, any Error>) { slots[part] = result }

    /// Every part's result (each part has finished when `run` reads them).
    var results: [Result<T, any Error>] { (0..<count).map { slots[$0]! } }
}
