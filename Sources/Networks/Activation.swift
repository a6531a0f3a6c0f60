import Tensors

/// The elementwise nonlinearity of an MLP's hidden layers.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case relu, gelu, tanh, sigmoid, identity

    /// The activation applied to `x`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .relu: x.relu()
        case .gelu: x.gelu()
        case .tanh: x.tanh()
        case .sigmoid: x.sigmoid()
        case .identity: x
        }
    }
}
