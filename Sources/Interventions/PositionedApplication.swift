import Tensors

/// A positioned plan entry checked against one `[batch, seq, width]` representation: the flat
/// row indices it gathers from the base and from each source, all known to be valid.
struct PositionedApplication {
    let entry: InterventionPlan.Entry
    let batch: Int, sequence: Int, width: Int
    /// Rows of the base's `[batch * seq, width]` view, example by example.
    let baseRows: [Int]
    /// Per source `v`, rows of its `[batch * sourceSeq_v, width]` view, paired with `baseRows`.
    let sourceRows: [[Int]]

    /// Checks `positions` (and the entry's sources and source positions) against `representation`,
    /// whose example `b` holds real tokens from `firstValidPosition[b]` on (all of them when `nil`).
    /// - Throws: `InterventionError.invalidPositions`, `.positionOutOfRange`, `.sourceCountMismatch`.
    init(entry: InterventionPlan.Entry, positions: [[Int]], representation: Tensor, firstValidPosition: [Int]? = nil) throws {
        self.entry = entry
        let site = entry.site
        func invalid(_ reason: String) -> InterventionError { .invalidPositions(site: site, reason: reason) }
        guard representation.rank == 3 else {
            throw invalid("positions need a [batch, seq, width] representation; this one has shape \(representation.shape)")
        }
        (batch, sequence, width) = (representation.shape[0], representation.shape[1], representation.shape[2])
        guard positions.count == batch else {
            throw invalid("positions are listed for \(positions.count) example\(positions.count == 1 ? "" : "s"), but the batch has \(batch)")
        }
        if let firstValidPosition, firstValidPosition.count != batch {
            throw invalid("the padding lists a first real position for \(firstValidPosition.count) examples, but the batch has \(batch)")
        }
        baseRows = try Self.rows(positions, sequence: sequence, site: site, source: nil, firstValid: firstValidPosition)
        for (example, list) in positions.enumerated() where Set(list).count != list.count {
            throw invalid("example \(example) lists a position twice (\(list)); each position can be written once")
        }

        let intervention = entry.intervention
        guard entry.sources.count == intervention.sourceCount else {
            throw InterventionError.sourceCountMismatch(intervention: intervention.name, expected: intervention.sourceCount,
                                                        got: entry.sources.count)
        }
        let sourcePositions = entry.sourcePositions ?? Array(repeating: positions, count: entry.sources.count)
        guard sourcePositions.count == entry.sources.count else {
            throw invalid("source positions are listed for \(sourcePositions.count) sources, but there are \(entry.sources.count)")
        }
        sourceRows = try zip(entry.sources, sourcePositions).enumerated().map { v, pair in
            let (source, listed) = pair
            guard source.rank == 3, source.shape[0] == positions.count, source.shape[2] == representation.shape[2] else {
                throw invalid("source \(v) has shape \(source.shape); it must be [\(positions.count), positions, \(representation.shape[2])] "
                              + "(the base's batch and width, any number of positions)")
            }
            guard listed.count == positions.count else {
                throw invalid("source \(v)'s positions are listed for \(listed.count) examples, but the batch has \(positions.count)")
            }
            for (example, (read, written)) in zip(listed, positions).enumerated() where read.count != written.count {
                throw invalid("example \(example) reads \(read.count) position\(read.count == 1 ? "" : "s") of source \(v) "
                              + "but writes \(written.count); they are paired one to one")
            }
            return try Self.rows(listed, sequence: source.shape[1], site: site, source: v)
        }
    }

    /// The flat row `b * sequence + p` of every listed position `p` of every example `b`.
    /// - Throws: `InterventionError.positionOutOfRange` for a position outside
    ///   `firstValid[b]..<sequence` (`0..<sequence` without padding).
    private static func rows(_ positions: [[Int]], sequence: Int, site: Site, source: Int?, firstValid: [Int]? = nil) throws -> [Int] {
        var rows: [Int] = []
        rows.reserveCapacity(positions.reduce(0) { $0 + $1.count })
        for (example, list) in positions.enumerated() {
            let valid = min(max(firstValid?[example] ?? 0, 0), sequence)..<sequence
            for position in list {
                guard valid.contains(position) else {
                    throw InterventionError.positionOutOfRange(site: site, example: example, source: source,
                                                               position: position, validRange: valid)
                }
                rows.append(example * sequence + position)
            }
        }
        return rows
    }

    /// Gathers the rows, applies the intervention to them as `[n, width]`, and scatters them back.
    func apply(to representation: Tensor) throws -> Tensor {
        guard !baseRows.isEmpty else { return representation }
        let flat = try representation.reshaped(to: [batch * sequence, width])
        let sources = try zip(entry.sources, sourceRows).map { source, rows in
            try source.reshaped(to: [source.shape[0] * source.shape[1], width]).gatherRows(rows)
        }
        let edited = try entry.intervention.apply(base: flat.gatherRows(baseRows), sources: sources)
        return try flat.scatterRows(edited, at: baseRows).reshaped(to: representation.shape)
    }
}
