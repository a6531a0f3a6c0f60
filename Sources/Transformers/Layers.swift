import Tensors

/// A lookup table `[rows, width]`: token embeddings (`rows` = vocabulary) or GPT-2's learned
/// positions (`rows` = context length).
public final class Embedding: Module {
    /// `[rows, width]`.
    public let weight: Tensor

    /// A table with given values.
    public init(weight: Tensor) {
        self.weight = weight
    }

    /// The rows at `ids`, shaped `[batch, length, width]` for `batch * length` ids.
    public func callAsFunction(_ ids: [Int], batch: Int, length: Int) throws -> Tensor {
        try Tensor.embedding(ids, shape: [batch, length], table: weight)
    }
}

/// The normalization before each sublayer and after the last block: LayerNorm (GPT-2, weight and
/// bias) or RMSNorm (Llama, weight only), over the last axis.
public final class Normalization: Module {
    /// Which normalization.
    public enum Kind: Sendable { case layer, rms }

    /// `[width]`, the per-feature scale.
    public let weight: Tensor
    /// `[width]`, the shift (LayerNorm only).
    public let bias: Tensor?
    /// LayerNorm or RMSNorm.
    public let kind: Kind
    /// Added to the variance (or mean square) before the square root.
    public let epsilon: Float

    /// A normalization with weight 1 and bias 0.
    public init(kind: Kind, width: Int, epsilon: Float) {
        self.kind = kind
        self.epsilon = epsilon
        weight = Tensor.ones(shape: [width], requiresGradient: true)
        bias = kind == .layer ? Tensor.zeros(shape: [width], requiresGradient: true) : nil
    }

    /// `x` `[..., width]` normalized over its last axis.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        switch kind {
        case .layer: return try x.layerNorm(weight: weight, bias: bias!, epsilon: epsilon)
        case .rms: return try x.rmsNorm(weight: weight, epsilon: epsilon)
        }
    }
}

/// The position-wise MLP: GPT-2's `down(gelu(up(x)))` or Llama's SwiGLU `down(silu(gate(x)) ⊙ up(x))`.
public final class FeedForward: Module {
    /// `[intermediate, width]`, present for SwiGLU only.
    public let gate: Linear?
    /// `[intermediate, width]`.
    public let up: Linear
    /// `[width, intermediate]`.
    public let down: Linear

    /// An MLP from its projections; a `gate` makes it SwiGLU.
    public init(gate: Linear?, up: Linear, down: Linear) {
        self.gate = gate
        self.up = up
        self.down = down
    }

    /// `x` `[..., width]` → `[..., width]`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        if let gate {
            return try down(try gate(x).silu() * up(x))
        }
        return try down(try up(x).gelu())
    }
}
