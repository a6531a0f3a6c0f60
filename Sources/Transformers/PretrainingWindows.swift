import Randomness

/// The data of language-model pretraining: documents encoded, each followed by end-of-text when the
/// tokenizer has one, concatenated and cut into windows of equal length (the remainder dropped).
/// `reft pretrain` and the ReFT tutorials' base model both train on it.
public struct PretrainingWindows: Sendable {
    /// The tokens of the whole concatenated stream.
    public let tokenCount: Int
    /// `[windowCount][length]` token ids; empty when the stream is shorter than one window.
    public let windows: [[Int]]

    /// Windows of `length` tokens of `documents` (empty ones skipped), each encoded by `encode` and
    /// followed by `endOfText` when given.
    public init(documents: [String], length: Int, endOfText: Int?, encode: (String) -> [Int]) {
        var stream: [Int] = []
        for document in documents where !document.allSatisfy(\.isWhitespace) {
            stream += encode(document)
            if let endOfText { stream.append(endOfText) }
        }
        tokenCount = stream.count
        let count = length > 0 ? stream.count / length : 0
        windows = (0..<count).map { Array(stream[($0 * length)..<(($0 + 1) * length)]) }
    }

    /// Optimizer steps in one pass over the windows in batches of `batchSize` (the last one partial).
    public func stepsPerEpoch(batchSize: Int) -> Int { (windows.count + batchSize - 1) / max(batchSize, 1) }

    /// `epochs` passes of `trainer` over the windows, each pass in a fresh order drawn from `seed`;
    /// `onStep(epoch, step, stepsPerEpoch, loss)` after every step (1-based epoch and step), and
    /// `onEpoch(epoch, mean loss)` after every pass.
    /// - Throws: the trainer's errors (a non-finite loss, …).
    public func train(
        _ trainer: LanguageModelTrainer, batchSize: Int, epochs: Int, seed: UInt64,
        onStep: (_ epoch: Int, _ step: Int, _ steps: Int, _ loss: Float) -> Void = { _, _, _, _ in },
        onEpoch: (_ epoch: Int, _ meanLoss: Double) throws -> Void = { _, _ in }
    ) throws {
        let steps = stepsPerEpoch(batchSize: batchSize)
        guard steps > 0, epochs > 0 else { return }
        var generator = SeededGenerator(seed: seed ^ 0x9E37_79B9)
        for epoch in 1...epochs {
            let order = generator.permutation(of: Array(windows.indices))
            var total: Double = 0
            for step in 0..<steps {
                let rows = order[(step * batchSize)..<min((step + 1) * batchSize, order.count)].map { windows[$0] }
                let loss = try trainer.step(TokenBatch(rows))
                total += Double(loss)
                onStep(epoch, step + 1, steps, loss)
            }
            try onEpoch(epoch, total / Double(steps))
        }
    }
}
