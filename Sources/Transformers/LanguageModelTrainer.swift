import Tensors

/// Trains a transformer's parameters (all of them, or those still trainable) on next-token
/// prediction with AdamW and a linear warm-up then decay: the loop `reft pretrain` runs.
public final class LanguageModelTrainer {
    /// The model being trained.
    public let model: Transformer
    /// AdamW over the model's trainable parameters.
    public let optimizer: Adam

    /// - Parameters:
    ///   - learningRate: the peak rate, reached after `warmupSteps`, then decayed linearly to 0 at `totalSteps`.
    ///   - weightDecay: AdamW's decoupled decay.
    /// - Throws: `TransformerError.invalidInput` when the step counts or rates are not valid or nothing is trainable.
    public init(model: Transformer, learningRate: Float, warmupSteps: Int, totalSteps: Int, weightDecay: Float = 0.01) throws {
        guard totalSteps > 0, warmupSteps >= 0, warmupSteps < totalSteps else {
            throw TransformerError.invalidInput("need 0 ≤ warmupSteps < totalSteps, got \(warmupSteps) and \(totalSteps)")
        }
        guard learningRate > 0, learningRate.isFinite, weightDecay >= 0 else {
            throw TransformerError.invalidInput("need a positive learning rate and a non-negative weight decay, got \(learningRate) and \(weightDecay)")
        }
        let parameters = model.trainableParameters().map(\.tensor)
        guard !parameters.isEmpty else { throw TransformerError.invalidInput("the model has no trainable parameters") }
        self.model = model
        optimizer = Adam.adamW(parameters: parameters, learningRate: learningRate, weightDecay: weightDecay,
                               schedule: .linearWarmupThenDecay(warmupSteps: warmupSteps, totalSteps: totalSteps))
    }

    /// One optimizer step on a batch; `labels` default to the ids with padding ignored (every real next token counts).
    /// - Returns: the batch's loss before the step.
    /// - Throws: `TransformerError.nonFiniteLoss` naming the step when the loss is NaN or infinite
    ///   (the parameters are then left unchanged); the loss's errors.
    @discardableResult
    public func step(_ tokens: TokenBatch, labels: [[Int]]? = nil) throws -> Float {
        let labels = labels ?? tokens.defaultLabels
        let loss = try model.languageModelLoss(tokens, labels: labels)
        guard loss.scalar.isFinite else {
            throw TransformerError.nonFiniteLoss(step: optimizer.stepCount, loss: loss.scalar)
        }
        try loss.backward()
        optimizer.step()
        optimizer.zeroGradients()
        return loss.scalar
    }

    /// The loss on a batch without training and without recording gradients.
    public func evaluate(_ tokens: TokenBatch, labels: [[Int]]? = nil) throws -> Float {
        let labels = labels ?? tokens.defaultLabels
        return try Tensor.withoutGradients { try model.languageModelLoss(tokens, labels: labels).scalar }
    }
}
