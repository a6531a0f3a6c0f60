import Tensors

/// What to do to a forward pass: at each site, an intervention, the units it acts on and the
/// source representations it reads (DESIGN §4).
///
/// For an MLP a site's unit is the whole hidden vector, so an entry acts on every row of the
/// `[n, width]` representation, and its sources are `[n, width]` too. For a transformer the units
/// are token positions: a positioned entry lists, per example, the positions of the
/// `[batch, seq, width]` representation it acts on and, per source, the source positions it reads.
/// Those rows are gathered into `[n, width]`, intervened on, and scattered back, so interventions
/// never see sequences.
public struct InterventionPlan {
    /// One site's intervention, sources, and (for token sites) positions.
    public struct Entry {
        /// Where the intervention acts.
        public let site: Site
        /// What it does to the rows there.
        public let intervention: any Intervention
        /// One representation per variable: `[n, width]` for an unpositioned entry,
        /// `[batch, sourceSeq, width]` for a positioned one.
        public let sources: [Tensor]
        /// `positions[b]`: the positions of example `b` the intervention acts on (possibly none);
        /// `nil` for an entry that acts on every row.
        public let positions: [[Int]]?
        /// `sourcePositions[v][b]`: the positions of source `v`'s example `b` that are read, as many
        /// as `positions[b]`; `nil` to read the same positions as the base.
        public let sourcePositions: [[[Int]]]?
    }

    /// The entries, at most one per site.
    public private(set) var entries: [Entry] = []

    /// An empty plan: the forward pass runs unchanged.
    public init() {}

    /// A plan with one entry acting on every row.
    public init(site: Site, intervention: any Intervention, sources: [Tensor]) {
        intervene(at: site, with: intervention, sources: sources)
    }

    /// A plan with one positioned entry (see `intervene(at:with:sources:positions:sourcePositions:)`).
    public init(site: Site, intervention: any Intervention, sources: [Tensor], positions: [[Int]], sourcePositions: [[[Int]]]? = nil) {
        intervene(at: site, with: intervention, sources: sources, positions: positions, sourcePositions: sourcePositions)
    }

    /// Adds an intervention at `site` acting on every row, replacing any earlier one there.
    /// `sources` have the representation's shape.
    public mutating func intervene(at site: Site, with intervention: any Intervention, sources: [Tensor]) {
        add(Entry(site: site, intervention: intervention, sources: sources, positions: nil, sourcePositions: nil))
    }

    /// Adds an intervention at token positions of `site`, replacing any earlier one there.
    ///
    /// The representation at the site is `[batch, seq, width]`. `positions[b]` lists the positions
    /// of example `b` the intervention acts on (may be empty; no position twice). Each source is
    /// `[batch, sourceSeq, width]`; `sourcePositions[v][b]` lists the positions of source `v`'s
    /// example `b` to read, as many as `positions[b]`, paired in order; `nil` reads the base's
    /// positions. Everything is checked against the representation when the plan is applied.
    public mutating func intervene(at site: Site, with intervention: any Intervention, sources: [Tensor],
                                   positions: [[Int]], sourcePositions: [[[Int]]]? = nil) {
        add(Entry(site: site, intervention: intervention, sources: sources, positions: positions, sourcePositions: sourcePositions))
    }

    private mutating func add(_ entry: Entry) {
        entries.removeAll { $0.site == entry.site }
        entries.append(entry)
    }

    /// The entry at `site`, if any.
    public func entry(at site: Site) -> Entry? {
        entries.first { $0.site == site }
    }

    /// The representation at `site` after the plan's intervention there (or `representation`
    /// unchanged), differentiable through the representation, the sources and the intervention's
    /// parameters.
    ///
    /// An unpositioned entry acts on every row (a representation of rank 3 or more is seen as rows
    /// of its last axis). A positioned entry gathers its rows, applies the intervention to
    /// `[n, width]` (n = all positions listed) and scatters the result back.
    /// - Throws: `InterventionError.widthMismatch`; `.sourceShapeMismatch` naming the site (an
    ///   unpositioned entry's source of another shape than the representation);
    ///   `.positionOutOfRange` naming the site, example, source, position and the valid range;
    ///   `.invalidPositions` for a representation that is not `[batch, seq, width]`, a source of
    ///   another batch or width, a batch-size or position-count mismatch, or a repeated position;
    ///   the intervention's own errors.
    public func apply(at site: Site, to representation: Tensor) throws -> Tensor {
        try apply(at: site, to: representation, firstValidPosition: nil)
    }

    /// `apply(at:to:)` for a left-padded batch: example `b`'s real tokens are positions
    /// `firstValidPosition[b] ..< seq`, and a positioned entry listing a padding position of the
    /// base is an error naming that range. `nil`: no padding. Unpositioned entries ignore it.
    /// - Throws: as `apply(at:to:)`; `.invalidPositions` when `firstValidPosition` does not hold one
    ///   index per example.
    public func apply(at site: Site, to representation: Tensor, firstValidPosition: [Int]?) throws -> Tensor {
        guard let entry = entry(at: site) else { return representation }
        guard entry.intervention.width == representation.shape.last else {
            throw InterventionError.widthMismatch(site: site, siteWidth: representation.shape.last ?? 0,
                                                  interventionWidth: entry.intervention.width)
        }
        if let positions = entry.positions {
            return try PositionedApplication(entry: entry, positions: positions, representation: representation,
                                             firstValidPosition: firstValidPosition)
                .apply(to: representation)
        }
        for source in entry.sources where source.shape != representation.shape {
            throw InterventionError.sourceShapeMismatch(site: site, base: representation.shape, source: source.shape)
        }
        guard representation.rank > 2 else {
            return try entry.intervention.apply(base: representation, sources: entry.sources)
        }
        let rows = [-1, entry.intervention.width]
        return try entry.intervention.apply(base: representation.reshaped(to: rows),
                                            sources: entry.sources.map { try $0.reshaped(to: rows) })
            .reshaped(to: representation.shape)
    }
}
