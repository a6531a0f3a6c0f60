import Foundation
import Tensors

/// AdamW whose whole state (both moment estimates and the step count) can be read out and put
/// back, so that `reft train --resume` continues exactly where an epoch ended.
///
/// The update is Tensors' `Adam` with decoupled weight decay, term for term (PyTorch's AdamW):
/// `m ← β₁ m + (1 − β₁) g`, `v ← β₂ v + (1 − β₂) g²`, `p ← p − lr λ p`,
/// `p ← p − lr (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)` with `lr` the scheduled rate of step `t − 1`.
/// It exists because `Adam` keeps its moments private; a test checks the two agree bit for bit.
public final class ResumableAdamW: Optimizer {
    public let parameters: [Tensor]
    public private(set) var stepCount = 0
    public var learningRate: Float
    public let schedule: LearningRateSchedule
    /// The decay rates of the first and second moment estimates.
    public let beta1: Float, beta2: Float
    /// Added to `√v̂`.
    public let epsilon: Float
    /// Decoupled weight decay `λ`.
    public let weightDecay: Float
    /// Per parameter, the first moment estimate `m` (the parameter's element count).
    public private(set) var firstMoments: [[Float]]
    /// Per parameter, the second moment estimate `v`.
    public private(set) var secondMoments: [[Float]]

    /// AdamW over `parameters` with base rate `learningRate`, scaled by `schedule` at each step,
    /// and decoupled weight decay `weightDecay`; moments start at zero.
    public init(parameters: [Tensor], learningRate: Float, weightDecay: Float, schedule: LearningRateSchedule,
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.schedule = schedule
        (self.beta1, self.beta2, self.epsilon) = (beta1, beta2, epsilon)
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.elementCount) }
        secondMoments = firstMoments
    }

    /// Puts back a state read from `firstMoments`, `secondMoments` and `stepCount`.
    /// - Throws: `ReFTError.invalidIntervention` when the counts or sizes differ from the parameters'.
    public func restore(stepCount: Int, firstMoments: [[Float]], secondMoments: [[Float]]) throws {
        guard stepCount >= 0, firstMoments.count == parameters.count, secondMoments.count == parameters.count,
              zip(parameters, zip(firstMoments, secondMoments)).allSatisfy({ $0.elementCount == $1.0.count && $0.elementCount == $1.1.count })
        else {
            throw ReFTError.invalidIntervention("the optimizer state does not match the adapter's parameters (\(parameters.map(\.shape)))")
        }
        self.stepCount = stepCount
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }

    public func step() {
        let rate = currentLearningRate
        let t = Float(stepCount + 1)
        let correction1 = 1 - Foundation.pow(beta1, t), correction2 = 1 - Foundation.pow(beta2, t)
        let (b1, b2, eps, decay) = (beta1, beta2, epsilon, weightDecay)
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = parameter.gradient else { continue }
            gradient.scalars.withUnsafeBufferPointer { g in
                firstMoments[index].withUnsafeMutableBufferPointer { m in
                    secondMoments[index].withUnsafeMutableBufferPointer { v in
                        parameter.scalars.withUnsafeMutableBufferPointer { p in
                            for i in 0..<p.count {
                                let gi = g[i]
                                m[i] = b1 * m[i] + (1 - b1) * gi
                                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                                p[i] -= rate * decay * p[i]
                                p[i] -= rate * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + eps)
                            }
                        }
                    }
                }
            }
        }
        stepCount += 1
    }
}
