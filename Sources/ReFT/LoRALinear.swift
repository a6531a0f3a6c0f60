import Randomness
import Tensors

/// A rank-`r` LoRA update of one linear layer (Hu et al. 2021):
///
///     y = x (W + s B A)ᵀ + b = x Wᵀ + b + s (x Aᵀ) Bᵀ,     s = α / r
///
/// with `W` `[out, in]` frozen, `A` `[r, in]` and `B` `[out, r]` trained. `A` starts uniform in
/// `±1/√in` (PEFT's Kaiming-uniform with `a = √5`), `B` at zero, so the update starts at zero and
/// the adapted model starts as the base.
///
/// Two ways to run it, the same function:
/// - `callAsFunction(x)`: the factored form on the tape (a standalone layer; gradient-checked).
///   Backward, with `g = ∂y` (`[n, out]`), `u = x Aᵀ` (`[n, r]`):
///   `∂B = s gᵀ u`, `∂A = s (g B)ᵀ x`, `∂x = g W + s (g B) A`.
/// - `merge()`: writes `W + s B A` into the base layer's weight, so a transformer whose code calls
///   `Linear` directly runs the adapted layer with no hook. Training then reads `G = ∂W_eff` from
///   the tape and turns it into `∂B = s G Aᵀ`, `∂A = s Bᵀ G` (`surrogate(gradient:)`: the gradient of
///   `s Σ G ⊙ (B A)`, the same chain rule since `W_eff` is linear in `B A`). `unmerge()` puts back `W` bit for bit.
public final class LoRALinear: Module {
    /// The frozen layer (its `weight` holds `W`, or `W + s B A` while merged).
    public let base: Linear
    /// `[r, in]`.
    public let a: Tensor
    /// `[out, r]`, zero at the start.
    public let b: Tensor
    /// `α / r`.
    public let scale: Float
    /// `W` as it was before any merge.
    private let original: [Float]
    /// Whether `base.weight` currently holds `W + s B A`.
    public private(set) var isMerged = false

    /// `a` and `b` (PEFT's `lora_A`, `lora_B`).
    public var moduleChildren: [(label: String, value: Any)] { [(label: "lora_a", value: a), (label: "lora_b", value: b)] }

    /// - Throws: `ReFTError.invalidIntervention` unless `1 ≤ rank ≤ min(in, out)` and `alpha` is positive and finite.
    public init(base: Linear, rank: Int, alpha: Float, seed: UInt64) throws {
        guard (1...min(base.inputCount, base.outputCount)).contains(rank) else {
            throw ReFTError.invalidIntervention("LoRA needs a rank between 1 and min(in, out) = \(min(base.inputCount, base.outputCount)) of its layer, got \(rank)")
        }
        guard alpha > 0, alpha.isFinite else { throw ReFTError.invalidIntervention("LoRA's alpha must be positive, got \(alpha)") }
        var generator = SeededGenerator(seed: seed)
        let bound = 1 / Float(base.inputCount).squareRoot()
        self.base = base
        a = Tensor.uniform(shape: [rank, base.inputCount], in: -bound...bound, using: &generator, requiresGradient: true)
        b = Tensor.zeros(shape: [base.outputCount, rank], requiresGradient: true)
        scale = alpha / Float(rank)
        original = base.weight.scalars
    }

    /// `r`.
    public var rank: Int { a.shape[0] }

    /// The factored forward `x Wᵀ + b + s (x Aᵀ) Bᵀ` for `x` `[..., in]` (with `W` unmerged).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let update = try Tensor.matmul(Tensor.matmul(x, a, transposeB: true), b, transposeB: true)
        return try base(x) + update * scale
    }

    /// The update `s B A`, `[out, in]`.
    public func delta() throws -> Tensor { try Tensor.matmul(b, a) * scale }

    /// Writes `W + s B A` into the base weight (from the saved `W`, so merging twice adds once);
    /// `recordWeightGradient` lets the next backward pass compute `∂W_eff` (training).
    public func merge(recordWeightGradient: Bool = false) throws {
        let update = try Tensor.withoutGradients { try delta() }
        var merged = original
        update.scalars.withUnsafeBufferPointer { d in
            merged.withUnsafeMutableBufferPointer { w in for i in 0..<w.count { w[i] += d[i] } }
        }
        base.weight.scalars = merged
        base.weight.zeroGradient()
        base.weight.requiresGradient = recordWeightGradient
        isMerged = true
    }

    /// Puts `W` back and stops recording its gradient.
    public func unmerge() {
        base.weight.scalars = original
        base.weight.zeroGradient()
        base.weight.requiresGradient = false
        isMerged = false
    }

    /// `s Σ G ⊙ (B A)` for the merged weight's gradient `G`: its backward gives `∂A` and `∂B`.
    /// `nil` when no gradient reached the weight.
    public func surrogate() throws -> Tensor? {
        guard let gradient = base.weight.gradient else { return nil }
        let constant = try Tensor(shape: gradient.shape, scalars: gradient.scalars)
        return try (delta() * constant).sum()
    }
}
