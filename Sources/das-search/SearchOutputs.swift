import Foundation

/// The files one search writes (the report, the heatmap and the best cell's training curve), shared
/// by the MLP and the transformer searches.
struct SearchOutputs {
    let directory: URL
    let report: URL, heatmap: URL, trainingCurve: URL

    /// The paths from `--out`, `--json` and `--svg`, each checked and its folder created before any
    /// work, so that a typo costs nothing.
    /// - Throws: `UsageError` for a path that cannot be written.
    init(out: String, json: String?, svg: String?) throws {
        directory = URL(fileURLWithPath: out)
        report = json.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent("report.json")
        heatmap = svg.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent("heatmap.svg")
        trainingCurve = heatmap.deletingPathExtension().appendingPathExtension("training-curve.svg")
        try OutputFiles.prepareFolder(directory, for: "--out \(directory.path)")
        try OutputFiles.prepare([report, heatmap, trainingCurve])
    }

    /// Writes the plots first and the report last, all or none (see `OutputFiles`); a run without a
    /// training curve removes an older one, so the set on disk is this run's. Unless `quiet`, prints
    /// the summary, the paths and the time.
    func write(_ searchReport: SearchReport, networkSeconds: Double, quiet: Bool) throws {
        let curve = SearchPlots.trainingCurve(searchReport)
        if curve == nil { try? FileManager.default.removeItem(at: trainingCurve) }
        try OutputFiles.write([(heatmap, Data(SearchPlots.heatmaps(searchReport).rendered.utf8))]
                              + (curve.map { [(trainingCurve, Data($0.rendered.utf8))] } ?? [])
                              + [(report, try searchReport.encoded())])
        guard !quiet else { return }
        print(searchReport.summary)
        print("\nReport: \(report.path)\nHeatmap: \(heatmap.path)\(curve == nil ? "" : "\nTraining curve of the best cell: \(trainingCurve.path)")")
        print(String(format: "Time: %.1f s (network %.1f s).", searchReport.timings.totalSeconds, networkSeconds))
    }
}
