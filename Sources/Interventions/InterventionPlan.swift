import Tensors

/// What to do to a forward pass: at each site, an intervention and the source representations it
/// reads (`[n, width]` each, collected at the same site by running the sources).
///
/// For an MLP a site's unit is the whole hidden vector, so an entry acts on every row of the batch.
public struct InterventionPlan {
    /// One site's intervention and sources.
    public struct Entry {
        public let site: Site
        public let intervention: any Intervention
        public let sources: [Tensor]
    }

    /// The entries, at most one per site.
    public private(set) var entries: [Entry] = []

    /// An empty plan: the forward pass runs unchanged.
    public init() {}

    /// A plan with one entry.
    public init(site: Site, intervention: any Intervention, sources: [Tensor]) {
        entries = [Entry(site: site, intervention: intervention, sources: sources)]
    }

    /// Adds an intervention at `site`, replacing any earlier one there.
    public mutating func intervene(at site: Site, with intervention: any Intervention, sources: [Tensor]) {
        entries.removeAll { $0.site == site }
        entries.append(Entry(site: site, intervention: intervention, sources: sources))
    }

    /// The entry at `site`, if any.
    public func entry(at site: Site) -> Entry? {
        entries.first { $0.site == site }
    }

    /// The representation at `site` after the plan's intervention there (or `representation` unchanged).
    /// - Throws: the intervention's errors, with source-shape errors naming the site.
    public func apply(at site: Site, to representation: Tensor) throws -> Tensor {
        guard let entry = entry(at: site) else { return representation }
        guard entry.intervention.width == representation.shape.last else {
            throw InterventionError.widthMismatch(site: site, siteWidth: representation.shape.last ?? 0,
                                                  interventionWidth: entry.intervention.width)
        }
        for source in entry.sources where source.shape != representation.shape {
            throw InterventionError.sourceShapeMismatch(site: site, base: representation.shape, source: source.shape)
        }
        return try entry.intervention.apply(base: representation, sources: entry.sources)
    }
}
