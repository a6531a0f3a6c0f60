import Foundation
import Reports

/// The pictures of a search: IIA heatmaps (sites x sizes, one per test split) and the best cell's training curve.
enum SearchPlots {
    /// One heatmap per split, a colour bar, the best cell of each outlined.
    static func heatmaps(_ report: SearchReport) -> SVGDocument {
        if let positions = report.configuration.positions { return positionHeatmaps(report, positions: positions) }
        let sites = report.configuration.layers, sizes = report.configuration.dims
        let cell = 52.0
        let panelWidth = 90 + cell * Double(sizes.count) + 16
        var document = SVGDocument(width: 20 + Double(report.splits.count) * panelWidth + 60, height: 64 + 88 + cell * Double(sites.count) + 10)
        document.text("das-search: IIA by site and subspace size — task \(report.configuration.task), method \(report.configuration.method), seed \(report.configuration.seed)",
                      x: document.width / 2, y: 24, size: 15, anchor: "middle", weight: "bold")
        let seeds = report.configuration.dasSeeds.count
        document.text("test IIA\(seeds > 1 ? ", median over \(seeds) DAS seeds" : ""); each variable gets the subspace size shown; intervals, every seed, controls and validation IIA in the JSON report",
                      x: document.width / 2, y: 44, size: 12, anchor: "middle", color: "#555")
        var x = 10.0
        for split in report.splits {
            let map = Heatmap(title: "intervening on \(split)", rowLabel: "site", columnLabel: "subspace size per variable",
                              rows: sites, columns: sizes.map(String.init),
                              values: sites.map { site in sizes.map { size in
                                  report.cells.first { $0.site == site && $0.subspaceSize == size }?.iia[split] } })
            x += map.draw(into: &document, x: x, y: 60, cell: cell).width + 16
        }
        Heatmap.drawColorBar(into: &document, x: x, y: 108, height: cell * Double(sites.count))
        return document
    }

    /// Transformers: one heatmap of layers x token positions per test split (a variable) and size, or
    /// of the fraction of the logit difference restored for activation patching.
    static func positionHeatmaps(_ report: SearchReport, positions: [String]) -> SVGDocument {
        let sites = report.configuration.layers, sizes = report.configuration.dims
        let patching = report.configuration.method == "patching"
        let panels: [(title: String, value: (SearchReport.Cell) -> Double?, size: Int)] = patching
            ? [("fraction of the logit difference restored", { $0.patching?.fractionRestored }, sizes.first ?? 0)]
            : report.splits.flatMap { split in sizes.map { size in
                (sizes.count > 1 ? "intervening on \(split), size \(size)" : "intervening on \(split)", { (cell: SearchReport.Cell) in cell.iia[split] }, size)
            } }
        let cell = 52.0
        let panelWidth = 90 + cell * Double(positions.count) + 16
        let rowLabels = sites.map { $0.replacingOccurrences(of: ".block_output", with: "") }
        let seeds = report.configuration.dasSeeds.count
        let title = patching ? "Activation patching by layer and token position — task \(report.configuration.task)"
            : "das-search: IIA by layer and token position — task \(report.configuration.task), method \(report.configuration.method)"
        let subtitle = patching ? "the whole block_output row patched in from a source prompt; 1 = the answer's logits move as far as with the whole source prompt"
            : "test IIA at each layer's block_output\(seeds > 1 ? ", median over \(seeds) DAS seeds" : ""); learned sizes, intervals and controls in the JSON report"
        // About 6.5 px per character of 12 px text, so the subtitle is never cut.
        var document = SVGDocument(width: max(20 + Double(panels.count) * panelWidth + 60, Double(subtitle.count) * 6.5 + 40),
                                   height: 64 + 88 + cell * Double(sites.count) + 10)
        document.text(title, x: document.width / 2, y: 24, size: 15, anchor: "middle", weight: "bold")
        document.text(subtitle, x: document.width / 2, y: 44, size: 12, anchor: "middle", color: "#555")
        var x = 10.0
        for panel in panels {
            let map = Heatmap(title: panel.title, rowLabel: "layer", columnLabel: "token position", rows: rowLabels, columns: positions,
                              values: sites.map { site in positions.map { position in
                                  report.cells.first { $0.site == site && $0.position == position && $0.subspaceSize == panel.size }.flatMap(panel.value) } })
            x += map.draw(into: &document, x: x, y: 60, cell: cell).width + 16
        }
        Heatmap.drawColorBar(into: &document, x: x, y: 108, height: cell * Double(sites.count), label: patching ? "restored" : "IIA")
        return document
    }

    /// The mean training loss per epoch of each DAS run of the best cell.
    static func trainingCurve(_ report: SearchReport) -> SVGDocument? {
        guard let best = report.best,
              let cell = report.cells.first(where: { $0.site == best.site && $0.position == best.position && $0.subspaceSize == best.subspaceSize }),
              cell.epochLosses.values.contains(where: { !$0.isEmpty }) else { return nil }
        let series = cell.epochLosses.keys.sorted().map { run in
            LineChart.Series(name: "DAS on \(run)", points: cell.epochLosses[run]!.enumerated().map { (Double($0.offset + 1), Double($0.element)) })
        }
        return LineChart(title: "Training loss of the best cell: \(best.site), \(best.subspaceSize) dimension\(best.subspaceSize == 1 ? "" : "s") per variable",
                         subtitle: "cross-entropy to the counterfactual labels, mean per epoch (IIA \(String(format: "%.3f", best.iia)) on \(best.split))",
                         xLabel: "epoch", yLabel: "loss", series: series).svg()
    }
}
