import Foundation

extension CausalModel {
    /// The model drawn as a standalone SVG document.
    ///
    /// Variables are boxes laid out in layers by depth, inputs at the top; each box shows the
    /// variable's name and domain. Inputs are filled blue, outputs amber with a double border,
    /// intermediate variables white; arrows run from parent to child; a legend explains the marks.
    public func svg() -> String {
        let layout = GraphLayout(model: self)
        var svg = [
            ##"<?xml version="1.0" encoding="UTF-8"?>"##,
            ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(Self.number(layout.width))" height="\##(Self.number(layout.height))" viewBox="0 0 \##(Self.number(layout.width)) \##(Self.number(layout.height))" font-family="Helvetica, Arial, sans-serif">"##,
            "<title>causal model \(Self.xmlEscaped(name))</title>",
            "<defs>",
            ##"<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="\##(RolePalette.edge)"/></marker>"##,
            "</defs>",
            ##"<rect width="100%" height="100%" fill="white"/>"##,
            ##"<text x="\##(Self.number(layout.width / 2))" y="\##(Self.number(GraphLayout.titleHeight - 8))" text-anchor="middle" font-size="17" font-weight="bold" fill="#111827">\##(Self.xmlEscaped(name))</text>"##,
            ##"<g class="edges" stroke="\##(RolePalette.edge)" stroke-width="1.6">"##,
        ]
        for edge in layout.edges {
            let parent = layout.boxes[edge.from], child = layout.boxes[edge.to]
            let start = parent.boundaryPoint(toward: (child.x, child.y))
            let end = child.boundaryPoint(toward: (parent.x, parent.y))
            svg.append(##"<line x1="\##(Self.number(start.x))" y1="\##(Self.number(start.y))" x2="\##(Self.number(end.x))" y2="\##(Self.number(end.y))" marker-end="url(#arrow)"/>"##)
        }
        svg.append("</g>")
        svg.append(##"<g class="variables">"##)
        for box in layout.boxes {
            svg += Self.variableBox(
                name: box.name, caption: box.caption, x: box.x, y: box.y, width: box.width,
                isInput: box.isInput, isOutput: box.isOutput
            )
        }
        svg.append("</g>")
        svg += Self.legend(top: layout.height - GraphLayout.legendHeight, centre: layout.width / 2)
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// One variable: a rounded box (doubled for outputs) with its name and, smaller, its caption.
    private static func variableBox(
        name: String, caption: String, x: Double, y: Double, width: Double, isInput: Bool, isOutput: Bool
    ) -> [String] {
        let height = GraphLayout.boxHeight
        let role = [isInput ? "input" : nil, isOutput ? "output" : nil].compactMap { $0 }.joined(separator: " ")
        let fill = RolePalette.fill(isInput: isInput, isOutput: isOutput)
        let stroke = RolePalette.stroke(isInput: isInput, isOutput: isOutput)
        var lines = [##"<g class="variable \##(role.isEmpty ? "intermediate" : role)">"##]
        lines.append(rectangle(x: x - width / 2, y: y - height / 2, width: width, height: height, fill: fill, stroke: stroke))
        if isOutput {
            lines.append(rectangle(x: x - width / 2 + 4, y: y - height / 2 + 4, width: width - 8, height: height - 8, fill: "none", stroke: stroke))
        }
        lines.append(##"<text x="\##(number(x))" y="\##(number(y - 2))" text-anchor="middle" font-size="15" font-weight="bold" fill="#111827">\##(xmlEscaped(name))</text>"##)
        lines.append(##"<text x="\##(number(x))" y="\##(number(y + 13))" text-anchor="middle" font-size="11" fill="#4b5563">\##(xmlEscaped(caption))</text>"##)
        lines.append("</g>")
        return lines
    }

    /// Three sample boxes saying what the fills and the double border mean.
    private static func legend(top: Double, centre: Double) -> [String] {
        let entries = [("input", true, false), ("intermediate", false, false), ("output", false, true)]
        var lines = [##"<g class="legend" font-size="12" fill="#111827">"##]
        let widths = entries.map { 30 + 7 * Double($0.0.count) }
        let gap = 24.0
        var left = centre - (widths.reduce(0, +) + gap * Double(entries.count - 1)) / 2
        for ((label, isInput, isOutput), width) in zip(entries, widths) {
            defer { left += width + gap }
            let fill = RolePalette.fill(isInput: isInput, isOutput: isOutput)
            let stroke = RolePalette.stroke(isInput: isInput, isOutput: isOutput)
            lines.append(rectangle(x: left, y: top + 8, width: 24, height: 16, fill: fill, stroke: stroke))
            if isOutput {
                lines.append(rectangle(x: left + 3, y: top + 11, width: 18, height: 10, fill: "none", stroke: stroke))
            }
            lines.append(##"<text x="\##(number(left + 30))" y="\##(number(top + 20))">\##(label)</text>"##)
        }
        lines.append("</g>")
        return lines
    }

    private static func rectangle(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String) -> String {
        ##"<rect x="\##(number(x))" y="\##(number(y))" width="\##(number(width))" height="\##(number(height))" rx="6" fill="\##(fill)" stroke="\##(stroke)" stroke-width="1.5"/>"##
    }

    /// A coordinate with one decimal, the same on every platform.
    private static func number(_ value: Double) -> String {
        String(format: "%.1f", value)
    }

    private static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
