import Alignment
import CommandLineSupport
import Foundation
import Networks
import Reports

/// The JSON report of a search (schema `interchange.das-search`, version 1; see the README).
/// Everything but `timings` is a function of the flags and the seed, so two runs with the same
/// flags give byte-identical reports once `timings` is set aside.
struct SearchReport: Codable, Equatable {
    static let currentSchema = "interchange.das-search"
    static let currentVersion = 1

    /// The flags that define the search, resolved (defaults filled in).
    struct Configuration: Codable, Equatable {
        var task: String
        var model: String?
        var layers: [String]
        var dims: [Int]
        var method: String
        var epochs: Int
        var batchSize: Int
        var learningRate: Float
        var trainSize: Int
        var testSize: Int
        var seed: UInt64
    }

    /// The network searched.
    struct Network: Codable, Equatable {
        /// `trained` (by this tool, from the seed) or `loaded` (from `path`).
        var origin: String
        var path: String?
        var configuration: MLPConfiguration
        /// Accuracy on held-out factual inputs, for trained networks.
        var testAccuracy: Double?
    }

    /// Which slice of the grid this report holds: `index` of `count`, from 1.
    struct Shard: Codable, Equatable {
        var index: Int
        var count: Int
    }

    /// One cell: IIA per test split, the controls, and the training losses of each DAS run.
    struct Cell: Codable, Equatable {
        var site: String
        var subspaceSize: Int
        var iia: [String: Double]
        var controls: AlignmentControls
        /// The mean loss of each epoch, per DAS run (the split it trained for).
        var epochLosses: [String: [Float]]
        /// The largest `max|RRᵀ − I|` among the cell's learned rotations.
        var orthonormalityError: Float?

        init(cell: AlignmentGrid.Cell, results: [(run: String, result: AlignmentResult)]) {
            site = cell.site
            subspaceSize = cell.subspaceSize
            // Each DAS run scores its own splits; together they cover the cell's.
            func combined(_ scores: (AlignmentResult) -> AccuracyBySplit) -> AccuracyBySplit {
                results.reduce(into: [:]) { $0.merge(scores($1.result)) { first, _ in first } }
            }
            iia = combined(\.iia)
            controls = AlignmentControls(identityBasis: combined(\.controls.identityBasis), randomRotation: combined(\.controls.randomRotation),
                                         randomNetwork: combined(\.controls.randomNetwork))
            epochLosses = Dictionary(uniqueKeysWithValues: results.map { ($0.run, $0.result.epochLosses) })
            orthonormalityError = results.compactMap(\.result.orthonormalityError).max()
        }
    }

    /// The cell with the highest IIA on the headline split (all variables together).
    struct Best: Codable, Equatable {
        var site: String
        var subspaceSize: Int
        var split: String
        var iia: Double
    }

    /// Wall-clock seconds; the only part of the report that varies between identical runs.
    struct Timings: Codable, Equatable {
        var totalSeconds: Double
        var networkSeconds: Double
        /// By `site/size`.
        var cellSeconds: [String: Double]
    }

    var schema = SearchReport.currentSchema
    var version = SearchReport.currentVersion
    var configuration: Configuration
    var network: Network
    var shard: Shard
    /// The test splits, the headline (all variables together) last.
    var splits: [String]
    /// The fraction of each split's labels that the interventions change.
    var changedFractions: [String: Double]
    var cells: [Cell]
    var best: Best?
    var timings: Timings

    init(configuration: Configuration, network: Network, shard: Shard, splits: [String], changedFractions: [String: Double],
         cells: [Cell], timings: Timings) {
        self.configuration = configuration
        self.network = network
        self.shard = shard
        self.splits = splits
        self.changedFractions = changedFractions
        self.cells = cells
        self.timings = timings
        best = SearchReport.best(of: cells, splits: splits)
    }

    /// The split scored as "all variables" (the last), or each variable's own for per-variable methods.
    static func best(of cells: [Cell], splits: [String]) -> Best? {
        guard let headline = splits.last else { return nil }
        var best: Best?
        for cell in cells {
            let score = cell.iia[headline] ?? splits.compactMap { cell.iia[$0] }.reduce(0, +) / Double(max(splits.count, 1))
            if score > best?.iia ?? -1 { best = Best(site: cell.site, subspaceSize: cell.subspaceSize, split: headline, iia: score) }
        }
        return best
    }

    /// Writes the report as pretty-printed JSON with sorted keys, atomically.
    func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    /// Reads a report, checking its schema and version.
    /// - Throws: `RuntimeError` naming the file when it is unreadable or not a version-1 das-search report.
    init(contentsOf url: URL) throws {
        do {
            self = try JSONDecoder().decode(SearchReport.self, from: Data(contentsOf: url))
        } catch {
            throw RuntimeError("\(url.path) is not a readable das-search report: \(error.localizedDescription)")
        }
        guard schema == SearchReport.currentSchema, version == SearchReport.currentVersion else {
            throw RuntimeError("\(url.path) has schema \(schema) version \(version); this das-search reads \(SearchReport.currentSchema) version \(SearchReport.currentVersion)")
        }
    }

    /// The report a single run would give, from the reports of all `n` shards of one search.
    /// - Throws: `UsageError` when the reports are of different searches, or shards are missing or repeated.
    static func merged(_ reports: [SearchReport]) throws -> SearchReport {
        guard let first = reports.first else { throw UsageError("merge needs at least one report") }
        for report in reports where report.configuration != first.configuration || report.network != first.network
            || report.splits != first.splits || report.changedFractions != first.changedFractions {
            throw UsageError("the reports come from different searches (their configurations or networks differ)")
        }
        let indices = reports.map(\.shard.index).sorted()
        guard reports.allSatisfy({ $0.shard.count == first.shard.count }), indices == Array(1...first.shard.count) else {
            throw UsageError("merge needs each of the \(first.shard.count) shards exactly once; got shards \(indices.map(String.init).joined(separator: ", "))")
        }
        let order = { (cell: Cell) in
            (first.configuration.layers.firstIndex(of: cell.site) ?? 0, first.configuration.dims.firstIndex(of: cell.subspaceSize) ?? 0)
        }
        let cells = reports.flatMap(\.cells).sorted { order($0) < order($1) }
        return SearchReport(
            configuration: first.configuration, network: first.network, shard: Shard(index: 1, count: 1), splits: first.splits,
            changedFractions: first.changedFractions, cells: cells,
            timings: Timings(totalSeconds: reports.map(\.timings.totalSeconds).reduce(0, +),
                             networkSeconds: reports.map(\.timings.networkSeconds).max() ?? 0,
                             cellSeconds: reports.reduce(into: [:]) { $0.merge($1.timings.cellSeconds) { first, _ in first } }))
    }

    /// The table printed at the end of a search.
    var summary: String {
        func format(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "-" }
        let headline = splits.last ?? ""
        let header = ["site", "dims"] + splits.map { "IIA \($0)" } + ["neurons", "random rotation", "random network"]
        let rows = cells.map { cell in
            [cell.site, "\(cell.subspaceSize)"] + splits.map { format(cell.iia[$0]) }
                + [cell.controls.identityBasis, cell.controls.randomRotation, cell.controls.randomNetwork].map { format($0[headline]) }
        }
        let accuracy = network.testAccuracy.map { String(format: ", test accuracy %.3f", $0) } ?? ""
        var lines = [
            "das-search: task \(configuration.task), method \(configuration.method), seed \(configuration.seed)\(shard.count > 1 ? ", shard \(shard.index)/\(shard.count)" : "")",
            "network: \(network.origin == "loaded" ? network.path ?? "" : "trained") (\(network.configuration.inputDimension)-\(network.configuration.hiddenDimensions.map(String.init).joined(separator: "-"))-\(network.configuration.outputDimension), \(network.configuration.activation.rawValue)\(accuracy))",
            "labels the interventions change: " + splits.map { "\($0) \(format(changedFractions[$0]))" }.joined(separator: ", "),
            "controls are on \(headline); IIA is the fraction of held-out counterfactuals the intervened network gets right",
            "",
            TextTable(header: header, rows: rows).rendered,
        ]
        if let best {
            lines.append("\nBest: \(best.site) with \(best.subspaceSize) dimension\(best.subspaceSize == 1 ? "" : "s") per variable, IIA \(format(best.iia)) on \(best.split).")
        }
        return lines.joined(separator: "\n")
    }
}
