import Interventions
import Networks
import Randomness
import Tensors

/// One member of the ReFT family (DESIGN §5), acting on rows `h` (`[n, d]`) of a site:
///
///     h' = drop( h + Bᵀ (t(h) − [subtracts] B h) )
///
/// | kind     | basis `B` (`[k, d]`)            | target `t(h)`        | subtracts `B h` |
/// | -------- | ------------------------------- | -------------------- | --------------- |
/// | LoReFT   | `R`, orthonormal rows (retracted) | `act(W h + b)`     | yes             |
/// | DiReFT   | `W2`, unconstrained             | `act(W1 h + b)`      | no              |
/// | NoReFT   | `W2`, unconstrained             | `act(W1 h + b)`      | yes             |
/// | ConsReFT | `R`, orthonormal rows           | `b`                  | yes             |
/// | LobiReFT | `R`, orthonormal rows           | `b`                  | no              |
///
/// so LoReFT is `h + Rᵀ(act(W h + b) − R h)`, DiReFT `h + W2ᵀ act(W1 h + b)`, NoReFT
/// `h + W2ᵀ(act(W1 h + b) − W2 h)`, ConsReFT `h + Rᵀ(b − R h)` and LobiReFT `h + Rᵀ b`.
/// `drop` is inverted dropout on the whole output row, as pyreft 0.1.0 applies it (its
/// `forward` returns `dropout(base + …)`): in training each of the `n·d` outputs is zeroed with
/// probability `p` and the rest are scaled by `1 / (1 − p)`; in evaluation (the default) it is the
/// identity. Masks come from a seeded generator, so a run repeats exactly.
///
/// Backward, which the tape derives from these ops (matmul, add, activation): with rows
/// `z = t − [subtracts] h Bᵀ` (`[n, k]`), output gradient `g` (`[n, d]`) and `u = g Bᵀ`,
/// `∂B = zᵀ g − [subtracts] uᵀ h`; for a learned map with `a = act′(h Wᵀ + b) ⊙ u`,
/// `∂W = aᵀ h` and `∂b = Σ_rows a` (for a constant target `∂b = Σ_rows u`); and
/// `∂h = g + a W − [subtracts] u B`. Each is checked against finite differences in the tests.
///
/// Parameters (as the module tree names them): `rotation` (`R`, `[k, d]`), `projection`
/// (`W2`, `[k, d]`), `weight` (`W` or `W1`, `[k, d]`), `bias` (`b`, `[k]`) — each kind has only
/// those its formula uses. Rows are `[n, d]`; every product is one BLAS `sgemm` (`[n, d] → [n, k]`
/// and back), gradients flow to `h` and to every parameter through the tape.
public final class ReFTIntervention: Intervention {
    /// The family members (the file names in `adapter.json`'s `type`).
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case loreft, direft, noreft, consreft, lobireft

        /// Whether the basis is `R` with orthonormal rows (projected and retracted around each step).
        public var hasOrthonormalBasis: Bool { self == .loreft || self == .consreft || self == .lobireft }
        /// Whether the target is the learned map `act(W h + b)` (otherwise it is the constant `b`).
        public var hasLearnedMap: Bool { self == .loreft || self == .direft || self == .noreft }
        /// Whether `B h` is subtracted, so the intervention edits (rather than adds to) the subspace.
        public var subtractsProjection: Bool { self == .loreft || self == .noreft || self == .consreft }

        /// The display name, e.g. `LoReFT`.
        public var displayName: String {
            switch self {
            case .loreft: "LoReFT"
            case .direft: "DiReFT"
            case .noreft: "NoReFT"
            case .consreft: "ConsReFT"
            case .lobireft: "LobiReFT"
            }
        }

        /// The number of parameters of one intervention of rank `k` on width `d`:
        /// `2dk + k` with a learned map (LoReFT, DiReFT, NoReFT), `dk + k` without.
        public func parameterCount(width d: Int, rank k: Int) -> Int {
            (hasLearnedMap ? 2 * d * k : d * k) + k
        }
    }

    /// Which family member this is.
    public let kind: Kind
    /// `R` for LoReFT, ConsReFT and LobiReFT; `nil` otherwise.
    public let rotation: Rotation?
    /// `W2` (`[k, d]`) for DiReFT and NoReFT; `nil` otherwise.
    public let projection: Tensor?
    /// `W` / `W1` (`[k, d]`) for the kinds with a learned map; `nil` otherwise.
    public let weight: Tensor?
    /// `b` (`[k]`): the learned map's bias, or the constant target of ConsReFT and LobiReFT.
    public let bias: Tensor
    /// The nonlinearity of the learned map (identity by default; unused by ConsReFT and LobiReFT).
    public let activation: Activation
    /// The dropout probability `p`, in `0..<1`.
    public let dropout: Float
    /// Whether dropout is active (training); false (evaluation) by default.
    public var isTraining = false
    private var dropoutGenerator: SeededGenerator

    public let width: Int
    /// `k`, the number of coordinates of the subspace it edits.
    public let rank: Int
    public var sourceCount: Int { 0 }
    public var name: String { "\(kind.displayName) (k = \(rank), d = \(width))" }

    /// `rotation` (the tensor `R` itself), `projection`, `weight`, `bias`: those the kind has.
    public var moduleChildren: [(label: String, value: Any)] {
        var children: [(label: String, value: Any)] = []
        if let rotation { children.append((label: "rotation", value: rotation.matrix)) }
        if let projection { children.append((label: "projection", value: projection)) }
        if let weight { children.append((label: "weight", value: weight)) }
        children.append((label: "bias", value: bias))
        return children
    }

    /// A seeded intervention, initialized as pyreft initializes it: `R` the QR factor of a Gaussian
    /// matrix (orthonormal rows); `W`, `W1`, `W2` and the learned map's `b` uniform in `±1/√d`
    /// (PyTorch's `nn.Linear`); the constant target `b` of ConsReFT and LobiReFT uniform in `[0, 1)`
    /// (`torch.rand`). The dropout masks come from the same seed.
    /// - Throws: `ReFTError.invalidIntervention` unless `1 ≤ rank ≤ width` and `0 ≤ dropout < 1`.
    public init(kind: Kind, width: Int, rank: Int, activation: Activation = .identity, dropout: Float = 0, seed: UInt64) throws {
        try Self.validate(kind: kind, width: width, rank: rank, dropout: dropout)
        var generator = SeededGenerator(seed: seed)
        let bound = 1 / Float(width).squareRoot()
        rotation = kind.hasOrthonormalBasis
            ? try Rotation(matrix: Tensor.orthogonal(rows: rank, columns: width, using: &generator)) : nil
        weight = kind.hasLearnedMap
            ? Tensor.uniform(shape: [rank, width], in: -bound...bound, using: &generator, requiresGradient: true) : nil
        bias = kind.hasLearnedMap
            ? Tensor.uniform(shape: [rank], in: -bound...bound, using: &generator, requiresGradient: true)
            : Tensor.uniform(shape: [rank], in: 0...1, using: &generator, requiresGradient: true)
        projection = kind.hasOrthonormalBasis
            ? nil : Tensor.uniform(shape: [rank, width], in: -bound...bound, using: &generator, requiresGradient: true)
        dropoutGenerator = SeededGenerator(seed: generator.next())
        (self.kind, self.width, self.rank, self.activation, self.dropout) = (kind, width, rank, activation, dropout)
    }

    /// Checks the description before anything is allocated.
    static func validate(kind: Kind, width: Int, rank: Int, dropout: Float) throws {
        guard width >= 1, (1...width).contains(rank) else {
            throw ReFTError.invalidIntervention("\(kind.displayName) needs a rank between 1 and the site's width \(width), got \(rank)")
        }
        guard dropout.isFinite, dropout >= 0, dropout < 1 else {
            throw ReFTError.invalidIntervention("dropout must be in [0, 1), got \(dropout)")
        }
    }

    /// The basis `B`: `R` or `W2`, `[k, d]`.
    public var basis: Tensor { rotation?.matrix ?? projection! }

    /// Restarts the dropout masks from `seed` (so a run, or a gradient check, can repeat them).
    public func reseedDropout(_ seed: UInt64) {
        dropoutGenerator = SeededGenerator(seed: seed)
    }

    public func apply(base h: Tensor, sources: [Tensor]) throws -> Tensor {
        try validate(base: h, sources: sources)
        guard h.rank == 2 else {
            throw ReFTError.invalidPlacement("\(name) acts on rows [n, \(width)]; it was given shape \(h.shape)")
        }
        let basis = self.basis
        // The rotated-space target, [n, k] (or [1, k] for a constant b, broadcast over the rows).
        var target: Tensor
        if kind.hasLearnedMap {
            target = activation(try Tensor.matmul(h, weight!, transposeB: true) + bias)
        } else {
            target = try bias.reshaped(to: [1, rank])
        }
        if kind.subtractsProjection {
            target = try target - Tensor.matmul(h, basis, transposeB: true)
        }
        // Bᵀ z for rows z: z B, [n, d] (or [1, d], broadcast).
        let edited = try h + Tensor.matmul(target, basis)
        return try applyDropout(edited)
    }

    /// Inverted dropout on every element in training; the identity in evaluation or with `p = 0`.
    private func applyDropout(_ x: Tensor) throws -> Tensor {
        guard isTraining, dropout > 0 else { return x }
        let keep = 1 - dropout, scale = 1 / (1 - dropout)
        var mask = [Float](repeating: 0, count: x.elementCount)
        for index in mask.indices where dropoutGenerator.nextUniformFloat() < keep { mask[index] = scale }
        return try x * Tensor(shape: x.shape, scalars: mask)
    }

    /// Projects `R`'s gradient onto the tangent space of orthonormal rows (kinds with `R`).
    public func willStep() throws {
        if let rotation, rotation.matrix.requiresGradient { rotation.projectGradientOntoTangentSpace() }
    }

    /// Retracts `R` onto orthonormal rows after the optimizer's step (kinds with `R`).
    public func didStep() throws {
        if let rotation, rotation.matrix.requiresGradient { try rotation.retract() }
    }
}
