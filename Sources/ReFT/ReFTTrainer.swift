import Foundation
import Randomness
import Tensors
import Transformers

/// The settings of one training run (they are recorded in `training-state.json`; `--resume`
/// refuses a run whose settings differ).
public struct ReFTTrainingOptions: Sendable, Equatable, Codable {
    /// Passes over the training data.
    public var epochs: Int
    /// Examples per optimizer step.
    public var batchSize: Int
    /// The peak learning rate.
    public var learningRate: Float
    /// The fraction of all steps spent warming up linearly (then the rate decays linearly to 0).
    public var warmupRatio: Float
    /// AdamW's decoupled weight decay.
    public var weightDecay: Float
    /// Seeds the data order (a fresh shuffle every epoch) and the dropout masks (reseeded every step).
    public var seed: UInt64
    /// The id placed in padding (masked out of the loss).
    public var padToken: Int

    /// Settings; by default batches of 8, 10% warm-up, no weight decay, seed 0, padding id 0.
    public init(epochs: Int, batchSize: Int = 8, learningRate: Float, warmupRatio: Float = 0.1, weightDecay: Float = 0,
                seed: UInt64 = 0, padToken: Int = 0) {
        (self.epochs, self.batchSize, self.learningRate, self.warmupRatio) = (epochs, batchSize, learningRate, warmupRatio)
        (self.weightDecay, self.seed, self.padToken) = (weightDecay, seed, padToken)
    }

    enum CodingKeys: String, CodingKey {
        case epochs, batchSize = "batch_size", learningRate = "learning_rate", warmupRatio = "warmup_ratio"
        case weightDecay = "weight_decay", seed, padToken = "pad_token"
    }

    /// Checks every value before anything is allocated.
    /// - Throws: `ReFTError.invalidIntervention` naming the setting.
    public func validate() throws {
        guard epochs >= 1 else { throw ReFTError.invalidIntervention("epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw ReFTError.invalidIntervention("the batch size must be at least 1, got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else {
            throw ReFTError.invalidIntervention("the learning rate must be positive and finite, got \(learningRate)")
        }
        guard warmupRatio >= 0, warmupRatio < 1 else { throw ReFTError.invalidIntervention("the warm-up ratio must be in [0, 1), got \(warmupRatio)") }
        guard weightDecay >= 0, weightDecay.isFinite else {
            throw ReFTError.invalidIntervention("the weight decay must be non-negative, got \(weightDecay)")
        }
    }

    /// Optimizer steps per epoch for `exampleCount` examples.
    public func stepsPerEpoch(exampleCount: Int) -> Int { (exampleCount + batchSize - 1) / batchSize }

    /// Warm-up steps out of `totalSteps` (always fewer than it).
    public func warmupSteps(totalSteps: Int) -> Int { min(totalSteps - 1, Int((Float(totalSteps) * warmupRatio).rounded(.down))) }
}

/// The loss (and exact-match accuracy) of an adapted model on a dataset.
public struct ReFTEvaluation: Sendable, Equatable, Codable {
    /// The mean cross-entropy per completion token.
    public let loss: Float
    /// The fraction of examples whose every completion token is the model's top choice with the
    /// true tokens before it (teacher forcing): for classification-like data (one label token), the accuracy.
    public let accuracy: Float
    /// The number of examples.
    public let examples: Int
}

/// One epoch's record.
public struct ReFTEpochRecord: Sendable, Equatable, Codable {
    /// From 1.
    public let epoch: Int
    /// The mean training loss of the epoch's steps.
    public let trainingLoss: Float
    /// On the held-out split, when there is one.
    public let validation: ReFTEvaluation?

    enum CodingKeys: String, CodingKey { case epoch, trainingLoss = "training_loss", validation }
}

/// Trains an adapter on a frozen transformer (issue 9, point 4): AdamW with linear warm-up then
/// decay, loss on completion tokens only, a held-out split evaluated after every epoch, the adapter
/// and the training state saved atomically at the end of every epoch, `resume` continuing exactly.
///
/// Determinism: epoch `e`'s data order is a shuffle seeded by `(seed, e)`, and before step `s` every
/// dropout generator is reseeded from `(seed, s)`; with the optimizer's moments and step count
/// restored, a resumed run repeats an uninterrupted one bit for bit.
///
/// Backward work: the base is frozen (its parameters record nothing on the tape), so the only
/// gradients are the adapter's, and those of the activations between the adapter's lowest site and
/// the loss; head logits are computed only at the loss positions (`LogitPositions.positions`).
public final class ReFTTrainer<Adapter: TrainableAdapter> {
    /// The frozen base.
    public let model: Transformer
    /// What is trained.
    public let adapter: Adapter
    /// The settings.
    public let options: ReFTTrainingOptions
    /// The training examples.
    public let data: PromptCompletionDataset
    /// The held-out split.
    public let validation: PromptCompletionDataset?
    /// AdamW over the adapter's parameters.
    public let optimizer: Adam
    /// The epochs finished so far.
    public internal(set) var history: [ReFTEpochRecord] = []
    /// Total steps over all epochs.
    public let totalSteps: Int

    /// Freezes `model` and prepares the optimizer over `adapter`'s parameters.
    /// - Throws: `ReFTError.invalidIntervention` for bad options.
    public init(model: Transformer, adapter: Adapter, data: PromptCompletionDataset, validation: PromptCompletionDataset? = nil,
                options: ReFTTrainingOptions) throws {
        try options.validate()
        model.freeze()
        adapter.unfreeze()
        self.model = model
        self.adapter = adapter
        self.data = data
        self.validation = validation
        self.options = options
        totalSteps = options.epochs * options.stepsPerEpoch(exampleCount: data.examples.count)
        optimizer = Adam.adamW(
            parameters: adapter.parameters, learningRate: options.learningRate, weightDecay: options.weightDecay,
            schedule: totalSteps > 1
                ? .linearWarmupThenDecay(warmupSteps: options.warmupSteps(totalSteps: totalSteps), totalSteps: totalSteps) : .constant)
    }

    /// The epochs finished so far.
    public var completedEpochs: Int { history.count }

    /// Epoch `epoch`'s batches (`epoch` from 0), in its shuffled order.
    public func batches(epoch: Int) throws -> [PromptCompletionBatch] {
        try data.batches(size: options.batchSize, shuffleSeed: Self.mix(options.seed, UInt64(epoch), 0x5EED_DA7A),
                         padToken: options.padToken)
    }

    /// Runs the remaining epochs; after each, saves the adapter and the training state in `directory`
    /// (when given) and calls `onEpoch`. `onStep(epoch, step within epoch, steps per epoch, loss)`
    /// follows the steps, for a progress bar.
    /// - Throws: `ReFTError.nonFiniteLoss` at the first NaN or infinite loss (nothing is saved for the
    ///   unfinished epoch, so `directory` keeps the last good adapter); the model's and the files' errors.
    /// `maxEpochs` limits how many epochs this call runs (the rest can follow in a later call or a resumed run).
    public func train(savingTo directory: URL? = nil, maxEpochs: Int? = nil,
                      onStep: ((_ epoch: Int, _ step: Int, _ steps: Int, _ loss: Float) -> Void)? = nil,
                      onEpoch: ((ReFTEpochRecord) -> Void)? = nil) throws {
        let stop = min(options.epochs, completedEpochs + (maxEpochs ?? options.epochs))
        while completedEpochs < stop {
            let epoch = completedEpochs
            let batches = try batches(epoch: epoch)
            var total: Double = 0
            for (index, batch) in batches.enumerated() {
                let loss = try step(batch, epoch: epoch + 1)
                total += Double(loss)
                onStep?(epoch + 1, index + 1, batches.count, loss)
            }
            let record = ReFTEpochRecord(epoch: epoch + 1, trainingLoss: Float(total / Double(max(batches.count, 1))),
                                         validation: try validation.map { try evaluate($0) })
            history.append(record)
            if let directory { try save(to: directory) }
            onEpoch?(record)
        }
    }

    /// One optimizer step on `batch`; returns its loss before the step.
    /// - Throws: `ReFTError.nonFiniteLoss` (the parameters are left unchanged).
    @discardableResult
    public func step(_ batch: PromptCompletionBatch, epoch: Int) throws -> Float {
        adapter.isTraining = true
        defer { adapter.isTraining = false }
        adapter.reseedDropout(Self.mix(options.seed, UInt64(optimizer.stepCount), 0xD80F_0C7))
        try adapter.prepareForward()
        let plan = try adapter.plan(tokens: batch.tokens, promptLengths: batch.promptLengths)
        let loss = try model.languageModelLoss(batch.tokens, labels: batch.labels, plan: plan)
        guard loss.scalar.isFinite else {
            throw ReFTError.nonFiniteLoss(epoch: epoch, step: optimizer.stepCount + 1, loss: loss.scalar)
        }
        try loss.backward()
        try adapter.finishBackward()
        try adapter.willStep()
        optimizer.step()
        try adapter.didStep()
        optimizer.zeroGradients()
        return loss.scalar
    }

    /// Loss and teacher-forced exact-match accuracy on `dataset`, without dropout and without gradients.
    public func evaluate(_ dataset: PromptCompletionDataset) throws -> ReFTEvaluation {
        try Self.evaluate(model: model, adapter: adapter, dataset: dataset, batchSize: options.batchSize, padToken: options.padToken)
    }

    /// Loss and teacher-forced exact-match accuracy of `model` with `adapter` (none: the base alone).
    public static func evaluate(model: Transformer, adapter: Adapter?, dataset: PromptCompletionDataset, batchSize: Int,
                                padToken: Int = 0) throws -> ReFTEvaluation {
        try adapter?.prepareForward()
        return try Tensor.withoutGradients {
            var lossSum: Double = 0, tokenCount = 0, correct = 0
            for batch in try dataset.batches(size: batchSize, padToken: padToken) {
                let plan = try adapter?.plan(tokens: batch.tokens, promptLengths: batch.promptLengths)
                let positions = batch.labels.map { row in (0..<max(0, row.count - 1)).filter { row[$0 + 1] != -100 } }
                let targets = zip(batch.labels, positions).flatMap { row, kept in kept.map { row[$0 + 1] } }
                guard !targets.isEmpty else { continue }
                let logits = try model(batch.tokens, plan: plan, logits: .positions(positions)).logits!
                let loss = try Tensor.crossEntropy(logits: logits, labels: targets)
                lossSum += Double(loss.scalar) * Double(targets.count)
                tokenCount += targets.count
                let vocabulary = logits.shape[1]
                var row = 0
                for kept in positions {
                    var allRight = true
                    for _ in kept {
                        let scores = logits.scalars[(row * vocabulary)..<((row + 1) * vocabulary)]
                        let best = scores.indices.max { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 > $1) }!
                        if best - row * vocabulary != targets[row] { allRight = false }
                        row += 1
                    }
                    if allRight, !kept.isEmpty { correct += 1 }
                }
            }
            return ReFTEvaluation(loss: tokenCount > 0 ? Float(lossSum / Double(tokenCount)) : 0,
                                  accuracy: Float(correct) / Float(max(dataset.examples.count, 1)), examples: dataset.examples.count)
        }
    }

    /// SplitMix-style mixing of a seed with a counter and a purpose tag.
    static func mix(_ seed: UInt64, _ counter: UInt64, _ tag: UInt64) -> UInt64 {
        var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* (counter &+ 1) ^ tag
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
