import Interventions
import Transformers

/// Which part of a `PositionSpec`'s positions an intervention takes.
public enum PromptPart: String, Sendable, Hashable, CaseIterable, Codable {
    /// The first `n` prompt tokens (separate weights, `f<n>` part).
    case prefix
    /// The last `m` prompt tokens (separate weights, `l<m>` part).
    case suffix
    /// Every position of the spec: one intervention with shared weights, or a spec with one part.
    case all
}

/// One intervention placed in a transformer: the site it edits, the prompt tokens it acts on.
public struct PlacedIntervention {
    /// Where it acts, e.g. `layer.4.block_output`.
    public let site: Site
    /// What it does (usually a `ReFTIntervention`).
    public let intervention: any Intervention
    /// The prompt positions asked for.
    public let positions: PositionSpec
    /// Which part of those positions this intervention takes.
    public let part: PromptPart

    public init(site: Site, intervention: any Intervention, positions: PositionSpec, part: PromptPart) {
        self.site = site
        self.intervention = intervention
        self.positions = positions
        self.part = part
    }

    /// Its positions in a row whose prompt is `promptLength` tokens at `offset`.
    func positions(promptLength: Int, offset: Int) throws -> [Int] {
        let (prefix, suffix) = try positions.positions(promptLength: promptLength, offset: offset)
        switch part {
        case .prefix: return prefix
        case .suffix: return suffix
        case .all: return prefix + suffix
        }
    }
}

/// Turns placed interventions into the positioned `InterventionPlan` of one batch: what training
/// and generation pass to the transformer.
public enum ReFTPlacement {
    /// The plan for `tokens` (`[batch, t]`): row `b`'s prompt is `promptLengths[b]` tokens starting
    /// after its left padding (`tokens.leftPadding[b]`; 0 for right-padded training batches, whose
    /// completion and padding follow the prompt). Interventions act only on prompt tokens.
    ///
    /// A plan holds one entry per site; interventions that share a site (prefix and suffix with
    /// separate weights, or several adapters) become one `InterventionSequence` over the union of
    /// their positions, applied in the order given. A site with a single intervention gets it
    /// directly.
    /// - Throws: `ReFTError.invalidPlacement` when `promptLengths` has another count than the
    ///   batch, or a prompt (after its padding) does not fit in the row, or an intervention takes sources.
    public static func plan(_ placed: [PlacedIntervention], tokens: TokenBatch, promptLengths: [Int]) throws -> InterventionPlan {
        guard promptLengths.count == tokens.batch else {
            throw ReFTError.invalidPlacement("\(promptLengths.count) prompt lengths for a batch of \(tokens.batch) rows")
        }
        for (row, length) in promptLengths.enumerated() {
            let offset = tokens.leftPadding[row]
            guard length >= 0, offset + length <= tokens.length else {
                throw ReFTError.invalidPlacement(
                    "row \(row): a prompt of \(length) tokens after \(offset) padding tokens does not fit in \(tokens.length) positions")
            }
        }
        var plan = InterventionPlan()
        var sites: [Site] = []
        for item in placed where !sites.contains(item.site) { sites.append(item.site) }
        for site in sites {
            let members = placed.filter { $0.site == site }
            // memberPositions[i][b]: member i's positions in row b.
            let memberPositions = try members.map { member in
                guard member.intervention.sourceCount == 0 else {
                    throw ReFTError.invalidPlacement("'\(member.intervention.name)' at \(site) reads sources; ReFT interventions read none")
                }
                return try promptLengths.enumerated().map { row, length in
                    try member.positions(promptLength: length, offset: tokens.leftPadding[row])
                }
            }
            let union = (0..<tokens.batch).map { row in Array(Set(memberPositions.flatMap { $0[row] })).sorted() }
            if members.count == 1 {
                plan.intervene(at: site, with: members[0].intervention, sources: [], positions: union)
                continue
            }
            // The entry gathers the union's rows example by example; map each member's positions
            // to indices into those gathered rows.
            var start = 0
            var gatheredIndex: [[Int: Int]] = []
            for positions in union {
                gatheredIndex.append(Dictionary(uniqueKeysWithValues: positions.enumerated().map { ($1, start + $0) }))
                start += positions.count
            }
            let rows: [[Int]?] = memberPositions.map { perRow in
                let indices = perRow.enumerated().flatMap { row, positions in positions.map { gatheredIndex[row][$0]! } }
                return indices.count == start ? nil : indices
            }
            let sequence = try InterventionSequence(members: members.map(\.intervention), rows: rows)
            plan.intervene(at: site, with: sequence, sources: [], positions: union)
        }
        return plan
    }
}
