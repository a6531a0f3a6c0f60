import Tensors

/// A piece of a network that owns parameters, found by walking its stored properties
/// (tensors, modules, and arrays of either), as MLX Swift's `MLXNN` does.
///
/// Parameter names are the property paths, e.g. `layers.0.weight`: the names safetensors files use.
public protocol Module: AnyObject {}

extension Module {
    /// Every parameter tensor with its dotted path, in declaration order.
    public var namedParameters: [(name: String, tensor: Tensor)] {
        var found: [(String, Tensor)] = []
        func walk(_ value: Any, path: String) {
            switch value {
            case let tensor as Tensor:
                found.append((path, tensor))
            case let module as Module:
                for child in Mirror(reflecting: module).children {
                    if let label = child.label { walk(child.value, path: path.isEmpty ? label : "\(path).\(label)") }
                }
            case let array as [Any]:
                for (index, element) in array.enumerated() { walk(element, path: "\(path).\(index)") }
            default:
                break
            }
        }
        walk(self, path: "")
        return found
    }

    /// Every parameter tensor.
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }

    /// The total number of parameter scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.elementCount } }

    /// Stops gradients at every parameter (for interventions on a frozen network), or lets them through.
    public func setTrainable(_ trainable: Bool) {
        for parameter in parameters { parameter.requiresGradient = trainable }
    }
}

/// `y = x Wᵀ + b`, with `W` of shape `[out, in]` (PyTorch's `nn.Linear` layout) and `b` of `[out]`.
public final class Linear: Module {
    /// `[out, in]`.
    public let weight: Tensor
    /// `[out]`.
    public let bias: Tensor

    /// A layer initialized as PyTorch does: every entry uniform in `±1/√in`, from `generator`.
    public init(inputs: Int, outputs: Int, using generator: inout SeededGenerator) {
        let bound = 1 / Float(max(inputs, 1)).squareRoot()
        weight = Tensor.uniform(shape: [outputs, inputs], in: -bound...bound, using: &generator, requiresGradient: true)
        bias = Tensor.uniform(shape: [outputs], in: -bound...bound, using: &generator, requiresGradient: true)
    }

    /// A layer with given weights.
    /// - Throws: `TensorError.shapeMismatch` unless `weight` is `[out, in]` and `bias` is `[out]`.
    public init(weight: Tensor, bias: Tensor) throws {
        guard weight.rank == 2, bias.shape == [weight.shape[0]] else {
            throw TensorError.shapeMismatch(op: "Linear", shapes: [weight.shape, bias.shape], reason: "weight must be [out, in] and bias [out]")
        }
        self.weight = weight
        self.bias = bias
    }

    /// `x Wᵀ + b` for `x` of shape `[..., in]`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try Tensor.matmul(x, weight, transposeB: true) + bias
    }
}
