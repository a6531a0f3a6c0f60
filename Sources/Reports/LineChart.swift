import Foundation

/// A line chart of one or more series over a shared numeric x axis, with optional vertical markers.
public struct LineChart {
    /// One line: its name in the legend and its points.
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    /// A labelled vertical line, e.g. the value training found.
    public struct Marker {
        public var x: Double
        public var label: String
        public init(x: Double, label: String) {
            self.x = x
            self.label = label
        }
    }

    public var title: String
    /// A second, smaller line under the title.
    public var subtitle: String?
    public var xLabel: String, yLabel: String
    public var series: [Series]
    public var markers: [Marker]
    /// A shaded x interval with a label, e.g. where a score is perfect.
    public var band: (range: ClosedRange<Double>, label: String)?
    /// The y range; `nil` fits the data.
    public var yRange: ClosedRange<Double>?

    public init(title: String, subtitle: String? = nil, xLabel: String, yLabel: String, series: [Series], markers: [Marker] = [],
                band: (range: ClosedRange<Double>, label: String)? = nil, yRange: ClosedRange<Double>? = nil) {
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.markers = markers
        self.band = band
        self.yRange = yRange
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    /// The chart as an SVG document.
    public func svg(width: Double = 720, height: Double = 420) -> SVGDocument {
        var document = SVGDocument(width: width, height: height)
        let (left, right, top, bottom) = (70.0, width - 170, subtitle == nil ? 50.0 : 66.0, height - 60)
        // Only finite points are drawn (a NaN or infinite loss is a gap in its line, counted in the legend),
        // and the axes fit the finite values, so one diverged point cannot crash or flatten the chart.
        let drawable = series.map { $0.points.filter { $0.x.isFinite && $0.y.isFinite } }
        let markers = markers.filter { $0.x.isFinite }
        let xs = drawable.flatMap { $0.map(\.x) } + markers.map(\.x)
        let ys = drawable.flatMap { $0.map(\.y) }
        let xMin = xs.min() ?? 0, xMax = max(xs.max() ?? 1, (xs.min() ?? 0) + 1e-9)
        let fitted = (ys.min() ?? 0)...max(ys.max() ?? 1, (ys.min() ?? 0) + 1e-9)
        let yDomain = yRange.flatMap { $0.lowerBound.isFinite && $0.upperBound.isFinite ? $0 : nil } ?? fitted
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * (right - left) }
        func py(_ y: Double) -> Double { bottom - (y - yDomain.lowerBound) / (yDomain.upperBound - yDomain.lowerBound) * (bottom - top) }

        document.text(title, x: width / 2, y: 26, size: 16, anchor: "middle", weight: "bold")
        if let subtitle { document.text(subtitle, x: width / 2, y: 46, size: 12, anchor: "middle", color: "#555") }
        if let band {
            document.rectangle(x: px(band.range.lowerBound), y: top, width: px(band.range.upperBound) - px(band.range.lowerBound),
                               height: bottom - top, fill: "#e8f3e8")
            document.text(band.label, x: (px(band.range.lowerBound) + px(band.range.upperBound)) / 2, y: bottom - 8, size: 11,
                          anchor: "middle", color: "#2b6a2b")
        }
        for y in Self.ticks(yDomain) {
            document.line(x1: left, y1: py(y), x2: right, y2: py(y), color: "#e5e5e5")
            document.text(Self.format(y), x: left - 8, y: py(y) + 4, size: 11, anchor: "end")
        }
        for x in Self.ticks(xMin...xMax) {
            document.line(x1: px(x), y1: bottom, x2: px(x), y2: bottom + 5)
            document.text(Self.format(x), x: px(x), y: bottom + 19, size: 11, anchor: "middle")
        }
        document.line(x1: left, y1: bottom, x2: right, y2: bottom)
        document.line(x1: left, y1: top, x2: left, y2: bottom)
        document.text(xLabel, x: (left + right) / 2, y: height - 18, size: 13, anchor: "middle")
        document.text(yLabel, x: 20, y: (top + bottom) / 2, size: 13, anchor: "middle", rotate: -90)
        for marker in markers {
            document.line(x1: px(marker.x), y1: top, x2: px(marker.x), y2: bottom, color: "#555", width: 1.5, dash: "5,4")
            document.text(marker.label, x: px(marker.x), y: top - 6, size: 11, anchor: "middle", color: "#333")
        }
        for (index, line) in series.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            // Runs of finite points, split where a non-finite point leaves a gap.
            var runs: [[(x: Double, y: Double)]] = [[]]
            for point in line.points {
                if point.x.isFinite && point.y.isFinite { runs[runs.count - 1].append(point) } else if !runs[runs.count - 1].isEmpty { runs.append([]) }
            }
            for run in runs where !run.isEmpty {
                let path = run.map { "\(SVGDocument.number(px($0.x))),\(SVGDocument.number(py($0.y)))" }.joined(separator: " ")
                document.append("<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>")
            }
            let legendY = top + 10 + Double(index) * 22
            document.line(x1: right + 20, y1: legendY, x2: right + 44, y2: legendY, color: color, width: 3)
            let hidden = line.points.count - drawable[index].count
            document.text(line.name + (hidden > 0 ? " (\(hidden) not finite)" : ""), x: right + 50, y: legendY + 4, size: 12)
        }
        return document
    }

    /// Tick positions at a round step (1, 2 or 5 times a power of ten) giving about six ticks.
    static func ticks(_ range: ClosedRange<Double>) -> [Double] {
        let span = range.upperBound - range.lowerBound
        // A range wider than a Double can hold (or not finite) gets its ends as ticks: no step would be finite.
        guard span.isFinite, range.lowerBound.isFinite else { return [range.lowerBound, range.upperBound].filter(\.isFinite) }
        guard span > 0 else { return [range.lowerBound] }
        let rough = span / 6, power = Foundation.pow(10, (Foundation.log10(rough)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough } ?? 10 * power
        let first = (range.lowerBound / step).rounded(.up) * step
        // A span too small for its magnitude (below a Double's resolution there) has no usable step.
        let count = ((range.upperBound + step * 1e-9 - first) / step).rounded(.down) + 1
        guard step > 0, step.isFinite, first.isFinite, count.isFinite, count >= 1, count <= 100 else { return [range.lowerBound] }
        // Near a Double's resolution neighbouring ticks can round to the same value: keep each once.
        var ticks: [Double] = []
        for tick in (0..<Int(count)).map({ first + Double($0) * step }) where tick != ticks.last { ticks.append(tick) }
        return ticks
    }

    static func format(_ value: Double) -> String { NumberText.axisLabel(value) }
}
