/// `y = x Wᵀ + b`, with `W` of shape `[out, in]` (PyTorch's `nn.Linear` layout) and `b` of `[out]`,
/// or `y = x Wᵀ` for a layer without bias (Llama's projections). Parameters `weight`, `bias`.
public final class Linear: Module {
    /// `[out, in]`.
    public let weight: Tensor
    /// `[out]`, or `nil` for a layer without bias.
    public let bias: Tensor?

    /// A layer initialized as PyTorch does: every entry uniform in `±1/√in`, from `generator`
    /// (the weight first, then the bias when there is one).
    public init(inputs: Int, outputs: Int, bias hasBias: Bool = true, using generator: inout SeededGenerator) {
        let bound = 1 / Float(max(inputs, 1)).squareRoot()
        weight = Tensor.uniform(shape: [outputs, inputs], in: -bound...bound, using: &generator, requiresGradient: true)
        bias = hasBias ? Tensor.uniform(shape: [outputs], in: -bound...bound, using: &generator, requiresGradient: true) : nil
    }

    /// A layer with given weights; `bias` may be `nil`.
    /// - Throws: `TensorError.shapeMismatch` unless `weight` is `[out, in]` and `bias` is `[out]`.
    public init(weight: Tensor, bias: Tensor?) throws {
        guard weight.rank == 2, bias.map({ $0.shape == [weight.shape[0]] }) ?? true else {
            throw TensorError.shapeMismatch(op: "Linear", shapes: [weight.shape] + (bias.map { [$0.shape] } ?? []),
                                            reason: "weight must be [out, in] and bias [out]")
        }
        self.weight = weight
        self.bias = bias
    }

    /// The number of inputs, `in`.
    public var inputCount: Int { weight.shape[1] }
    /// The number of outputs, `out`.
    public var outputCount: Int { weight.shape[0] }

    /// `x Wᵀ + b` for `x` of shape `[..., in]`, shape `[..., out]`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard let bias else { return try Tensor.matmul(x, weight, transposeB: true) }
        return try Tensor.affine(x, weight: weight, bias: bias)
    }
}
