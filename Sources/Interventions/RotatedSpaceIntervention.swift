import Tensors

/// The distributed interchange intervention (DII) and its learned-mask variants (DESIGN §5):
///
///     h' = h + Rᵀ Σ_v M_v ⊙ (R s_v − R h)
///
/// `R` (`k x d`, orthonormal rows) is a trainable `Rotation`; `M_v` is variable `v`'s mask over
/// the `k` rotated coordinates, given by a `RotatedCoordinateMask`: a fixed partition (DAS, where
/// each variable owns a block of coordinates), learned boundaries (boundless DII), or learned
/// sigmoid gates. `k = d` is a full rotation; `k < d` a low-rank one.
public final class RotatedSpaceIntervention: Intervention {
    /// The learned basis `R`.
    public let rotation: Rotation
    /// Which rotated coordinates each variable's source writes.
    public let mask: any RotatedCoordinateMask
    /// Whether `R` is trained (false for the untrained random-rotation control).
    public let trainsRotation: Bool

    public var width: Int { rotation.dimension }
    public var sourceCount: Int { mask.variableCount }
    public var name: String { "\(mask.name) in a rotated basis (k = \(rotation.rank), d = \(rotation.dimension))" }
    /// `rotation` (parameter `rotation.matrix`) when it trains, then `mask` (`mask.boundaries`,
    /// `mask.logits` for learned masks). An untrained rotation is a constant, not a parameter.
    public var moduleChildren: [(label: String, value: Any)] {
        (trainsRotation ? [(label: "rotation", value: rotation as Any)] : []) + [(label: "mask", value: mask as Any)]
    }

    /// A DII with the given rotation and mask.
    /// - Throws: `InterventionError.invalidSubspace` when the mask is built for another rank than `rotation.rank`.
    public init(rotation: Rotation, mask: any RotatedCoordinateMask, trainsRotation: Bool = true) throws {
        guard mask.rank == rotation.rank else {
            throw InterventionError.invalidSubspace("the mask covers \(mask.rank) rotated coordinates but the rotation has \(rotation.rank)")
        }
        self.rotation = rotation
        self.mask = mask
        self.trainsRotation = trainsRotation
        rotation.matrix.requiresGradient = trainsRotation
    }

    /// DAS's usual form: a seeded random rotation of rank `k` (default: full) whose first
    /// coordinates are partitioned among the variables in blocks of `subspaceSizes`.
    /// - Throws: `InterventionError.invalidSubspace` when the sizes do not fit in `k ≤ width`.
    public convenience init(width: Int, subspaceSizes: [Int], rank: Int? = nil, seed: UInt64) throws {
        let k = rank ?? width
        guard (1...max(width, 1)).contains(k) else {
            throw InterventionError.invalidSubspace("rotation rank \(k) must be between 1 and the site's width \(width)")
        }
        try self.init(rotation: Rotation(rank: k, dimension: width, seed: seed),
                      mask: SubspacePartition(sizes: subspaceSizes, rank: k))
    }

    public func apply(base: Tensor, sources: [Tensor]) throws -> Tensor {
        try validate(base: base, sources: sources)
        return try Tensor.rotatedInterchange(base: base, sources: sources, rotation: rotation.matrix, masks: mask.masks())
    }

    /// Projects the rotation's gradient onto the tangent space of orthonormal rows (when it trains).
    public func willStep() throws {
        if trainsRotation { rotation.projectGradientOntoTangentSpace() }
    }

    /// Retracts the rotation onto orthonormal rows (when it trains) and advances the mask's annealing.
    public func didStep() throws {
        if trainsRotation { try rotation.retract() }
        mask.didStep()
    }
}
