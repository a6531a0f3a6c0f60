import Foundation

/// Adam (Kingma and Ba), and AdamW when given `.decoupled` weight decay, as PyTorch computes them:
/// `m ← β₁ m + (1 − β₁) g`, `v ← β₂ v + (1 − β₂) g²`, `m̂ = m / (1 − β₁ᵗ)`, `v̂ = v / (1 − β₂ᵗ)`,
/// `p ← p − lr m̂ / (√v̂ + ε)`. L2 weight decay adds `λ p` to `g` first; decoupled weight decay
/// (AdamW) first shrinks `p ← p − lr λ p`.
public final class Adam: Optimizer {
    public let parameters: [Tensor]
    public private(set) var stepCount = 0
    public var learningRate: Float
    public let schedule: LearningRateSchedule
    /// The decay rates of the first and second moment estimates.
    public let beta1: Float, beta2: Float
    /// Added to `√v̂` to keep the step finite.
    public let epsilon: Float
    /// The weight decay applied at each update.
    public let weightDecay: WeightDecay
    private var firstMoments: [[Float]]
    private var secondMoments: [[Float]]

    /// An Adam optimizer over `parameters`; pass `weightDecay: .decoupled(λ)` for AdamW.
    public init(parameters: [Tensor], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: WeightDecay = .none, schedule: LearningRateSchedule = .constant) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.schedule = schedule
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.elementCount) }
        secondMoments = firstMoments
    }

    /// AdamW: Adam with decoupled weight decay `λ` (PyTorch's default `λ = 0.01`).
    public static func adamW(parameters: [Tensor], learningRate: Float = 1e-3, weightDecay: Float = 0.01,
                             schedule: LearningRateSchedule = .constant) -> Adam {
        Adam(parameters: parameters, learningRate: learningRate, weightDecay: .decoupled(weightDecay), schedule: schedule)
    }

    public func step() {
        let rate = currentLearningRate
        let t = Float(stepCount + 1)
        let correction1 = 1 - Foundation.pow(beta1, t), correction2 = 1 - Foundation.pow(beta2, t)
        let (l2, decoupled) = weightDecay.coefficients
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = parameter.gradient else { continue }
            gradient.scalars.withUnsafeBufferPointer { g in
                firstMoments[index].withUnsafeMutableBufferPointer { m in
                    secondMoments[index].withUnsafeMutableBufferPointer { v in
                        parameter.scalars.withUnsafeMutableBufferPointer { p in
                            for i in 0..<p.count {
                                let gi = g[i] + l2 * p[i]
                                m[i] = b1 * m[i] + (1 - b1) * gi
                                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                                p[i] -= rate * decoupled * p[i]
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
