import Foundation

extension CausalModel {
    /// The model as a Graphviz DOT digraph: one box per variable (its name and domain), inputs
    /// filled blue, outputs amber with a double border, each depth on one rank, one arrow per
    /// parent. Render with `dot -Tsvg`.
    public func dot() -> String {
        let layout = GraphLayout(model: self)
        var lines = [
            "digraph \(Self.dotQuoted(name)) {",
            "  graph [rankdir=TB, label=\(Self.dotQuoted(name)), labelloc=t, fontname=\"Helvetica\"];",
            "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];",
            "  edge [color=\"\(RolePalette.edge)\"];",
        ]
        for box in layout.boxes {
            let fill = RolePalette.fill(isInput: box.isInput, isOutput: box.isOutput)
            let stroke = RolePalette.stroke(isInput: box.isInput, isOutput: box.isOutput)
            let label = Self.dotQuoted(box.name + "\n" + box.caption)
            lines.append("  \(Self.dotQuoted(box.name)) [label=\(label), fillcolor=\"\(fill)\", color=\"\(stroke)\"\(box.isOutput ? ", peripheries=2" : "")];")
        }
        for depth in Set(layout.boxes.map(\.depth)).sorted() {
            let members = layout.boxes.filter { $0.depth == depth }.map { Self.dotQuoted($0.name) }
            lines.append("  { rank=same; \(members.joined(separator: "; ")); }")
        }
        for edge in layout.edges {
            lines.append("  \(Self.dotQuoted(layout.boxes[edge.from].name)) -> \(Self.dotQuoted(layout.boxes[edge.to].name));")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A DOT quoted string; backslashes and quotes are escaped, line breaks become `\n`.
    private static func dotQuoted(_ text: String) -> String {
        let escaped = text
            .replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }
}
