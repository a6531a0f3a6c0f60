import Foundation
import Tensors

/// Settings for training a classifier on labelled rows.
public struct ClassifierTrainingOptions: Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    /// Seeds the order of examples in each epoch.
    public var seed: UInt64

    public init(epochs: Int, batchSize: Int, learningRate: Float, seed: UInt64) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
    }
}

extension MultilayerPerceptron {
    /// Trains every parameter with Adam on cross-entropy, in seeded random minibatches, and returns
    /// the mean loss of each epoch. `inputs` is `[n, inputDimension]`, `labels` has `n` class indices.
    /// - Throws: `TensorError` for mismatched sizes; `TrainingError.diverged` when the loss becomes NaN.
    @discardableResult
    public func train(inputs: Tensor, labels: [Int], options: ClassifierTrainingOptions) throws -> [Float] {
        guard inputs.rank == 2, inputs.shape[0] == labels.count, !labels.isEmpty else {
            throw TensorError.shapeMismatch(op: "train", shapes: [inputs.shape, [labels.count]], reason: "one label per input row is needed")
        }
        setTrainable(true)
        defer { setTrainable(false) }
        let optimizer = Adam(parameters: parameters, learningRate: options.learningRate)
        var generator = SeededGenerator(seed: options.seed)
        var epochLosses: [Float] = []
        for _ in 0..<options.epochs {
            let order = generator.permutation(of: 0..<labels.count)
            var total: Float = 0
            var batches = 0
            for start in stride(from: 0, to: order.count, by: max(options.batchSize, 1)) {
                let rows = Array(order[start..<min(start + options.batchSize, order.count)])
                let loss = try Tensor.crossEntropy(logits: self(inputs.gatherRows(rows)), labels: rows.map { labels[$0] })
                guard loss.scalar.isFinite else { throw TrainingError.diverged(what: "classifier training", step: optimizer.stepCount) }
                try loss.backward()
                optimizer.step()
                optimizer.zeroGradients()
                total += loss.scalar
                batches += 1
            }
            epochLosses.append(total / Float(max(batches, 1)))
        }
        return epochLosses
    }

    /// The fraction of rows whose argmax logit is the label.
    public func accuracy(inputs: Tensor, labels: [Int]) throws -> Double {
        let logits = try self(inputs)
        return Double(zip(logits.argmaxRows(), labels).filter { $0 == $1 }.count) / Double(max(labels.count, 1))
    }
}

/// Training that cannot go on.
public enum TrainingError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The loss became NaN or infinite.
    case diverged(what: String, step: Int)

    public var description: String {
        switch self {
        case let .diverged(what, step): return "\(what) diverged: the loss is not finite at step \(step); lower the learning rate"
        }
    }

    public var errorDescription: String? { description }
}

extension Tensor {
    /// The index of the largest element of each row of a `[n, c]` tensor.
    public func argmaxRows() -> [Int] {
        let columns = shape.last ?? 1
        return (0..<(columns == 0 ? 0 : elementCount / columns)).map { row in
            var best = 0
            for column in 1..<max(columns, 1) where scalars[row * columns + column] > scalars[row * columns + best] { best = column }
            return best
        }
    }
}
