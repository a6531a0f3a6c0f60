/// Something that updates parameters from their accumulated gradients.
///
/// The training loop: compute a loss, `try loss.backward()`, `optimizer.step()`,
/// `optimizer.zeroGradients()`. Parameters whose `gradient` is `nil` are left as they are.
public protocol Optimizer: AnyObject {
    /// The tensors this optimizer updates, in place.
    var parameters: [Tensor] { get }

    /// The number of updates made so far; the schedule is read at this step.
    var stepCount: Int { get }

    /// The base learning rate, before the schedule's factor.
    var learningRate: Float { get set }

    /// The schedule that scales `learningRate` at each update.
    var schedule: LearningRateSchedule { get }

    /// Updates every parameter that has a gradient, then advances `stepCount`.
    func step()
}

extension Optimizer {
    /// The learning rate the next `step()` will use.
    public var currentLearningRate: Float { learningRate * schedule.factor(atStep: stepCount) }

    /// Forgets every parameter's gradient, ready for the next backward pass.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }
}

/// How an optimizer applies weight decay `λ`.
public enum WeightDecay: Sendable, Equatable {
    /// No weight decay.
    case none
    /// L2 regularization: `λ p` is added to the gradient before the update (Adam's `weight_decay`).
    case l2(Float)
    /// Decoupled weight decay (AdamW): `p ← p − lr λ p`, separate from the gradient step.
    case decoupled(Float)
}
