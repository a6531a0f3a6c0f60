import Interventions
import Tensors

/// Several source-free interventions sharing one plan entry (a plan holds one entry per site),
/// applied in order, each to its own rows of the gathered `[n, width]` representation.
///
/// This is how ReFT puts a prefix and a suffix intervention (separate weights) at one site, and how
/// several adapters compose: member `i` acts on rows `rows[i]` (indices into the entry's gathered
/// rows, `nil` for all of them), seeing the output of the members before it. A row may be edited by
/// several members (composition); each member edits a row at most once.
///
/// Its parameters are its members' (`members.0.rotation`, …): optimizers, `willStep` and
/// `didStep` reach them through it.
public final class InterventionSequence: Intervention {
    /// The interventions, in the order they act.
    public let members: [any Intervention]
    /// Per member, the rows it acts on (`nil`: every row).
    public let rows: [[Int]?]

    public let width: Int
    public var sourceCount: Int { 0 }
    public var name: String { members.map(\.name).joined(separator: " then ") }
    public var moduleChildren: [(label: String, value: Any)] { [(label: "members", value: members as [Any])] }

    /// A sequence of source-free members of one width, each on the given rows (no row twice).
    /// - Throws: `ReFTError.invalidPlacement` for no members, members of different widths, a member
    ///   that takes sources, a row count that differs from the members', or a repeated or negative row.
    public init(members: [any Intervention], rows: [[Int]?]) throws {
        guard let first = members.first else { throw ReFTError.invalidPlacement("a sequence needs at least one intervention") }
        guard rows.count == members.count else {
            throw ReFTError.invalidPlacement("\(members.count) interventions but \(rows.count) row lists")
        }
        for member in members {
            guard member.width == first.width else {
                throw ReFTError.invalidPlacement("'\(member.name)' edits width \(member.width), '\(first.name)' width \(first.width)")
            }
            guard member.sourceCount == 0 else {
                throw ReFTError.invalidPlacement("'\(member.name)' reads \(member.sourceCount) sources; a sequence holds source-free interventions")
            }
        }
        for (index, list) in rows.enumerated() {
            guard let list else { continue }
            guard Set(list).count == list.count, list.allSatisfy({ $0 >= 0 }) else {
                throw ReFTError.invalidPlacement("member \(index)'s rows \(list) repeat a row or are negative")
            }
        }
        self.members = members
        self.rows = rows
        width = first.width
    }

    public func apply(base: Tensor, sources: [Tensor]) throws -> Tensor {
        try validate(base: base, sources: sources)
        var x = base
        for (member, selected) in zip(members, rows) {
            guard let selected else {
                x = try member.apply(base: x, sources: [])
                continue
            }
            guard !selected.isEmpty else { continue }
            if let bad = selected.first(where: { $0 >= x.shape[0] }) {
                throw ReFTError.invalidPlacement("'\(member.name)' acts on row \(bad), but only \(x.shape[0]) rows were gathered")
            }
            x = try x.scatterRows(member.apply(base: x.gatherRows(selected), sources: []), at: selected)
        }
        return x
    }

    public func willStep() throws { for member in members { try member.willStep() } }
    public func didStep() throws { for member in members { try member.didStep() } }
}
