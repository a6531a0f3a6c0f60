import Foundation

/// A small SVG writer: elements appended in order, text escaped, numbers printed compactly,
/// the whole written atomically.
public struct SVGDocument {
    public let width: Double, height: Double
    private var elements: [String] = []

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Appends a raw element (already valid SVG).
    public mutating func append(_ element: String) { elements.append(element) }

    /// Appends text at `(x, y)`; `anchor` is `start`, `middle` or `end`.
    public mutating func text(_ string: String, x: Double, y: Double, size: Double = 12, anchor: String = "start",
                              weight: String = "normal", color: String = "#222", rotate: Double? = nil) {
        let transform = rotate.map { " transform=\"rotate(\(SVGDocument.number($0)) \(SVGDocument.number(x)) \(SVGDocument.number(y)))\"" } ?? ""
        append("<text x=\"\(SVGDocument.number(x))\" y=\"\(SVGDocument.number(y))\" font-size=\"\(SVGDocument.number(size))\" text-anchor=\"\(anchor)\" font-weight=\"\(weight)\" fill=\"\(color)\"\(transform)>\(SVGDocument.escape(string))</text>")
    }

    /// Appends a line segment.
    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, color: String = "#222", width: Double = 1, dash: String? = nil) {
        let dashing = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        append("<line x1=\"\(SVGDocument.number(x1))\" y1=\"\(SVGDocument.number(y1))\" x2=\"\(SVGDocument.number(x2))\" y2=\"\(SVGDocument.number(y2))\" stroke=\"\(color)\" stroke-width=\"\(SVGDocument.number(width))\"\(dashing)/>")
    }

    /// Appends a rectangle.
    public mutating func rectangle(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil) {
        let outline = stroke.map { " stroke=\"\($0)\"" } ?? ""
        append("<rect x=\"\(SVGDocument.number(x))\" y=\"\(SVGDocument.number(y))\" width=\"\(SVGDocument.number(width))\" height=\"\(SVGDocument.number(height))\" fill=\"\(fill)\"\(outline)/>")
    }

    /// The document's text.
    public var rendered: String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(SVGDocument.number(width))" height="\(SVGDocument.number(height))" viewBox="0 0 \(SVGDocument.number(width)) \(SVGDocument.number(height))" font-family="Helvetica, Arial, sans-serif">
        <rect width="100%" height="100%" fill="white"/>
        \(elements.joined(separator: "\n"))
        </svg>

        """
    }

    /// Writes the document atomically.
    public func write(to url: URL) throws {
        try Data(rendered.utf8).write(to: url, options: .atomic)
    }

    /// The largest coordinate magnitude written: a value beyond it (or infinite) is clamped and NaN is
    /// written as 0, so a stray number cannot trap in the `Int` conversion or make the document invalid.
    public static let coordinateLimit = 1e9

    /// A number with at most two decimals and no trailing zeros.
    public static func number(_ value: Double) -> String {
        let value = value.isNaN ? 0 : min(max(value, -coordinateLimit), coordinateLimit)
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.2f", rounded).replacingOccurrences(of: #"0$"#, with: "", options: .regularExpression)
    }

    /// `string` with the XML special characters escaped.
    public static func escape(_ string: String) -> String {
        string.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
