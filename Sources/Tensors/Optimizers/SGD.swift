/// Stochastic gradient descent with optional momentum (PyTorch's form, no dampening):
/// `v ← μ v + g`, `p ← p − lr v` (with `μ = 0`, `p ← p − lr g`). L2 weight decay adds `λ p` to `g`;
/// decoupled weight decay first shrinks `p ← p − lr λ p`.
public final class SGD: Optimizer {
    public let parameters: [Tensor]
    public private(set) var stepCount = 0
    public var learningRate: Float
    public let schedule: LearningRateSchedule
    /// The momentum coefficient `μ`.
    public let momentum: Float
    /// The weight decay applied at each update.
    public let weightDecay: WeightDecay
    private var velocities: [[Float]]

    /// An SGD optimizer over `parameters`.
    public init(parameters: [Tensor], learningRate: Float, momentum: Float = 0,
                weightDecay: WeightDecay = .none, schedule: LearningRateSchedule = .constant) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.schedule = schedule
        velocities = parameters.map { [Float](repeating: 0, count: $0.elementCount) }
    }

    public func step() {
        let rate = currentLearningRate
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = parameter.gradient else { continue }
            let (l2, decoupled) = weightDecay.coefficients
            let mu = momentum
            gradient.scalars.withUnsafeBufferPointer { g in
                velocities[index].withUnsafeMutableBufferPointer { v in
                    parameter.scalars.withUnsafeMutableBufferPointer { p in
                        for i in 0..<p.count {
                            let direction = g[i] + l2 * p[i]
                            v[i] = mu * v[i] + direction
                            p[i] -= rate * (decoupled * p[i] + v[i])
                        }
                    }
                }
            }
        }
        stepCount += 1
    }
}

extension WeightDecay {
    /// `(λ for L2, λ for decoupled)`, one of them 0.
    var coefficients: (l2: Float, decoupled: Float) {
        switch self {
        case .none: (0, 0)
        case let .l2(lambda): (lambda, 0)
        case let .decoupled(lambda): (0, lambda)
        }
    }
}
