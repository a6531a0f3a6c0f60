import Foundation
import Testing
@testable import Reports

/// Plots and tables take NaN, infinities and huge values as input: text for them, gaps in lines, no trap.
@Suite struct NonFiniteNumberTests {
    static let hostile: [Double] = [.nan, .infinity, -.infinity, 1e300, -1e300, 9.3e18, -9.3e18, Double(Int.max), .greatestFiniteMagnitude,
                                    -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 0, -0.0]

    @Test func numberTextForEveryDouble() {
        #expect(NumberText.decimal(.nan) == "NaN")
        #expect(NumberText.decimal(.infinity) == "inf")
        #expect(NumberText.decimal(-.infinity) == "-inf")
        #expect(NumberText.decimal(0.256) == "0.26")
        // A tiny negative value (a patching score of -2e-6) reads as zero, not "-0.00".
        #expect(NumberText.decimal(-2e-6) == "0.00" && NumberText.decimal(-0.0, decimals: 3) == "0.000")
        #expect(NumberText.decimal(-0.004) == "0.00" && NumberText.decimal(-0.006) == "-0.01")
        #expect(NumberText.decimal(1e20) == "1e+20")
        #expect(NumberText.decimal(-2.5e300, decimals: 4) == "-2.5e+300")
        #expect(NumberText.axisLabel(9.3e18) == "9.3e+18")  // above Int.max: the old label converted it to Int and trapped
        #expect(NumberText.axisLabel(250.4) == "250")
        #expect(NumberText.axisLabel(0.25) == "0.25")
        #expect(NumberText.axisLabel(-.infinity) == "-inf")
        #expect(TextTable.cell(.nan) == "NaN" && TextTable.cell(0.5) == "0.500")
    }

    @Test func svgNumbersAreClampedAndNeverNaN() {
        #expect(SVGDocument.number(.nan) == "0")
        #expect(SVGDocument.number(.infinity) == "1000000000")
        #expect(SVGDocument.number(-1e300) == "-1000000000")
        #expect(SVGDocument.number(12.345) == "12.35")
    }

    @Test("a line chart of a diverged loss draws the finite points, leaves gaps and says how many were not finite")
    func lineChartWithNonFiniteAndHugeLosses() {
        let loss: [(x: Double, y: Double)] = [(0, 2.0), (1, 1.5), (2, .nan), (3, 1e30), (4, .infinity), (5, 9.3e18), (.nan, 1)]
        let chart = LineChart(title: "loss", xLabel: "step", yLabel: "loss", series: [.init(name: "train", points: loss)],
                              markers: [.init(x: .infinity, label: "never"), .init(x: 2, label: "here")])
        let svg = chart.svg().rendered
        #expect(!svg.contains("nan") && !svg.contains("NaN"))
        #expect(svg.contains("train (3 not finite)"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 3)  // [0, 1], [3], [5]: split at the gaps
        #expect(svg.contains("1e+30"))  // the top of the y axis, in scientific notation
        #expect(svg.contains(">here<") && !svg.contains(">never<"))
    }

    @Test("every pair of hostile values as a series, a marker, a y range or ticks renders without trapping")
    func lineChartSurvivesEveryHostilePair() {
        for a in Self.hostile {
            for b in Self.hostile {
                let chart = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "s", points: [(a, b), (b, a), (0, 0)])],
                                      markers: [.init(x: a, label: "m")],
                                      yRange: a <= b ? a...b : nil)
                let svg = chart.svg().rendered
                #expect(!svg.contains("nan"), "\(a), \(b)")
                _ = LineChart.ticks(a.isNaN || b.isNaN ? 0...1 : (a <= b ? a...b : b...a))
            }
        }
        #expect(LineChart.ticks(-Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude).count == 2)
        #expect(LineChart.ticks(0...100) == [0, 20, 40, 60, 80, 100])  // ordinary ranges keep their round ticks
        #expect(LineChart.ticks(-3...3) == [-3, -2, -1, 0, 1, 2, 3])
        // A span at a Double's resolution: a few distinct increasing ticks, not an endless stride.
        let tiny = LineChart.ticks(1e300...1e300.nextUp)
        #expect(!tiny.isEmpty && tiny.count <= 3 && zip(tiny, tiny.dropFirst()).allSatisfy { $0 < $1 }, "\(tiny)")
    }

    @Test func heatmapWithNonFiniteAndOutOfRangeCells() {
        let map = Heatmap(title: "IIA", rowLabel: "layer", columnLabel: "size", rows: ["0", "1"], columns: ["1", "2", "4"],
                          values: [[.nan, .infinity, -.infinity], [1e300, nil, 0.5]])
        var document = SVGDocument(width: 400, height: 300)
        map.draw(into: &document, x: 0, y: 0)
        let svg = document.rendered
        #expect(svg.contains(">NaN<") && svg.contains(">inf<") && svg.contains(">-inf<") && svg.contains(">1e+300<") && svg.contains(">0.50<"))
        #expect(Heatmap.color(.nan) == "#bdbdbd")
        #expect(Heatmap.color(.infinity) == Heatmap.color(1) && Heatmap.color(-.infinity) == Heatmap.color(0))
    }

    @Test func textTableWithRaggedRowsAndNonFiniteCells() {
        let table = TextTable(header: ["layer", "IIA"], rows: [["0", TextTable.cell(.nan)], ["1", TextTable.cell(1e300), "extra"], ["2"]])
        let lines = table.rendered.components(separatedBy: "\n")
        #expect(lines == ["layer     IIA", "─────  ──────  ─────", "0         NaN", "1      1e+300  extra", "2    "], "\(lines)")
    }

    @Test func progressBarDurationsOfAnySize() {
        #expect(ProgressBar.duration(.nan) == "? s")
        #expect(ProgressBar.duration(.infinity) == "a very long time")
        #expect(ProgressBar.duration(3725) == "1 h 2 min")
    }
}
