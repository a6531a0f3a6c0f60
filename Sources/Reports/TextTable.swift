/// A plain-text table for terminals: a header, a rule, and right-aligned columns (the first left-aligned).
public struct TextTable {
    public var header: [String]
    public var rows: [[String]]

    public init(header: [String], rows: [[String]] = []) {
        self.header = header
        self.rows = rows
    }

    /// A number as a cell: `decimals` decimals, scientific notation for huge magnitudes, `NaN` / `inf` / `-inf`.
    public static func cell(_ value: Double, decimals: Int = 3) -> String { NumberText.decimal(value, decimals: decimals) }

    /// The table as lines of text. Rows may be shorter or longer than the header (missing cells are blank).
    public var rendered: String {
        let columnCount = ([header] + rows).map(\.count).max() ?? 0
        let widths = (0..<columnCount).map { column in ([header] + rows).map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: max(0, widths[column] - cell.count))
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        return ([line(header), widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")] + rows.map(line)).joined(separator: "\n")
    }
}
