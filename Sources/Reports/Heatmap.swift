import Foundation

/// A grid of values in 0...1 (e.g. IIA over layers x subspace sizes), coloured on a white-to-blue
/// scale with each cell's value printed, a colour bar, and the best cell outlined.
public struct Heatmap {
    public var title: String
    public var rowLabel: String, columnLabel: String
    public var rows: [String], columns: [String]
    /// `values[row][column]`; `nil` draws an empty cell.
    public var values: [[Double?]]

    public init(title: String, rowLabel: String, columnLabel: String, rows: [String], columns: [String], values: [[Double?]]) {
        self.title = title
        self.rowLabel = rowLabel
        self.columnLabel = columnLabel
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// The cell with the largest value, if any.
    public var best: (row: Int, column: Int)? {
        var best: (Int, Int, Double)?
        for (r, row) in values.enumerated() {
            for (c, value) in row.enumerated() {
                if let value, value > (best?.2 ?? -.infinity) { best = (r, c, value) }
            }
        }
        return best.map { ($0.0, $0.1) }
    }

    /// A colour from white (0) to dark blue (1); values outside 0...1 are clamped, and NaN is grey.
    public static func color(_ value: Double) -> String {
        guard !value.isNaN else { return "#bdbdbd" }
        let t = min(max(value, 0), 1)
        let (r, g, b) = (255 - t * (255 - 8), 255 - t * (255 - 48), 255 - t * (255 - 107))
        return String(format: "#%02x%02x%02x", Int(r), Int(g), Int(b))
    }

    /// Draws the heatmap into `document` with its top-left corner at `(x, y)`; returns its size.
    @discardableResult
    public func draw(into document: inout SVGDocument, x: Double, y: Double, cell: Double = 56) -> (width: Double, height: Double) {
        let labelWidth = 90.0
        let top = y + 44
        document.text(title, x: x + labelWidth + cell * Double(columns.count) / 2, y: y + 18, size: 14, anchor: "middle", weight: "bold")
        document.text(columnLabel, x: x + labelWidth + cell * Double(columns.count) / 2, y: top + cell * Double(rows.count) + 36, size: 12, anchor: "middle")
        document.text(rowLabel, x: x + 14, y: top + cell * Double(rows.count) / 2, size: 12, anchor: "middle", rotate: -90)
        for (c, column) in columns.enumerated() {
            document.text(column, x: x + labelWidth + (Double(c) + 0.5) * cell, y: top + cell * Double(rows.count) + 16, size: 11, anchor: "middle")
        }
        for (r, row) in rows.enumerated() {
            document.text(row, x: x + labelWidth - 8, y: top + (Double(r) + 0.5) * cell + 4, size: 11, anchor: "end")
            for c in columns.indices {
                let (cx, cy) = (x + labelWidth + Double(c) * cell, top + Double(r) * cell)
                guard let value = values[r][c] else {
                    document.rectangle(x: cx, y: cy, width: cell, height: cell, fill: "#f4f4f4", stroke: "#ddd")
                    continue
                }
                document.rectangle(x: cx, y: cy, width: cell, height: cell, fill: Heatmap.color(value), stroke: "#ffffff")
                document.text(NumberText.decimal(value), x: cx + cell / 2, y: cy + cell / 2 + 4, size: 11, anchor: "middle",
                              color: value > 0.55 ? "#ffffff" : "#222")
            }
        }
        if let best {
            document.append("<rect x=\"\(SVGDocument.number(x + labelWidth + Double(best.column) * cell + 1.5))\" y=\"\(SVGDocument.number(top + Double(best.row) * cell + 1.5))\" width=\"\(SVGDocument.number(cell - 3))\" height=\"\(SVGDocument.number(cell - 3))\" fill=\"none\" stroke=\"#e6550d\" stroke-width=\"3\"/>")
        }
        return (labelWidth + cell * Double(columns.count), 44 + cell * Double(rows.count) + 44)
    }

    /// Draws the colour bar for 0...1 at `(x, y)`, `height` tall, headed by `label` (what the
    /// colours measure).
    public static func drawColorBar(into document: inout SVGDocument, x: Double, y: Double, height: Double, label: String = "IIA") {
        let steps = 20
        for step in 0..<steps {
            let value = 1 - Double(step) / Double(steps)
            document.rectangle(x: x, y: y + Double(step) * height / Double(steps), width: 16, height: height / Double(steps) + 0.5, fill: color(value))
        }
        document.rectangle(x: x, y: y, width: 16, height: height, fill: "none", stroke: "#888")
        for tick in [0.0, 0.5, 1.0] {
            document.text(String(format: "%.1f", tick), x: x + 22, y: y + (1 - tick) * height + 4, size: 11)
        }
        document.text(label, x: x, y: y - 8, size: 11)
    }
}
