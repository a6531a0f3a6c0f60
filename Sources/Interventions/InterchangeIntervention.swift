import Tensors

/// The vanilla interchange: `h[D_v] = s_v[D_v]` for each variable `v` and its set of dimensions
/// `D_v` (disjoint), computed as `h ⊙ (1 − Σ_v m_v) + Σ_v s_v ⊙ m_v` with `m_v` the 0/1 mask of
/// `D_v`, which copies the source's values exactly.
/// With `D_v` a block of neurons, this is the identity-basis control of DAS.
public final class InterchangeIntervention: Intervention {
    public let width: Int
    /// The dimensions each variable's source writes, one set per source.
    public let dimensions: [[Int]]
    private let masks: [Tensor]
    private let keep: Tensor

    public var name: String { "interchange on \(dimensions.map { "\($0.count)" }.joined(separator: "+")) of \(width) dimensions" }
    public var sourceCount: Int { dimensions.count }
    /// None: the masks are constants, so it has no parameters.
    public var moduleChildren: [(label: String, value: Any)] { [] }

    /// An interchange writing `dimensions[v]` from source `v`.
    /// - Throws: `InterventionError.invalidSubspace` for a dimension outside `0..<width`, or one used twice.
    public init(width: Int, dimensions: [[Int]]) throws {
        let all = dimensions.flatMap { $0 }
        guard Set(all).count == all.count else {
            throw InterventionError.invalidSubspace("interchange dimensions \(dimensions) overlap; each dimension belongs to one variable")
        }
        self.width = width
        self.dimensions = dimensions
        masks = try dimensions.map { try DimensionMask.make($0, width: width, owner: "interchange") }
        keep = try DimensionMask.make(all, width: width, owner: "interchange") * -1 + 1
    }

    public func apply(base: Tensor, sources: [Tensor]) throws -> Tensor {
        try validate(base: base, sources: sources)
        var edited = try base * keep
        for (source, mask) in zip(sources, masks) {
            edited = try edited + source * mask
        }
        return edited
    }
}

/// `h[D] = 0`: ablates a set of dimensions. Takes no source.
public final class ZeroIntervention: Intervention {
    public let width: Int
    /// The dimensions set to zero.
    public let dimensions: [Int]
    private let keep: Tensor

    public var name: String { "zero \(dimensions.count) of \(width) dimensions" }
    public var sourceCount: Int { 0 }
    /// None: the mask is a constant, so it has no parameters.
    public var moduleChildren: [(label: String, value: Any)] { [] }

    /// - Throws: `InterventionError.invalidSubspace` for a dimension outside `0..<width`.
    public init(width: Int, dimensions: [Int]) throws {
        self.width = width
        self.dimensions = dimensions
        keep = try DimensionMask.make(dimensions, width: width, owner: "zero") * -1 + 1
    }

    public func apply(base: Tensor, sources: [Tensor]) throws -> Tensor {
        try validate(base: base, sources: sources)
        return try base * keep
    }
}

/// `h + s`: adds the source representation.
public final class AdditionIntervention: Intervention {
    public let width: Int
    public var name: String { "add source" }
    public var sourceCount: Int { 1 }

    public init(width: Int) {
        self.width = width
    }

    public func apply(base: Tensor, sources: [Tensor]) throws -> Tensor {
        try validate(base: base, sources: sources)
        return try base + sources[0]
    }
}

/// Reads the representation and leaves it unchanged; `collected` holds the last rows seen.
public final class CollectIntervention: Intervention {
    public let width: Int
    /// The representation seen by the last `apply`, detached from the tape.
    public private(set) var collected: Tensor?

    public var name: String { "collect" }
    public var sourceCount: Int { 0 }
    /// None: what it collected is an output, not a parameter.
    public var moduleChildren: [(label: String, value: Any)] { [] }

    public init(width: Int) {
        self.width = width
    }

    public func apply(base: Tensor, sources: [Tensor]) throws -> Tensor {
        try validate(base: base, sources: sources)
        collected = base.detached()
        return base
    }
}
