import Alignment
import CommandLineSupport
import Experiments
import Foundation
import Networks
import Reports

/// The JSON report of a search (schema `interchange.das-search`; see the README and docs/transformer-alignment.md).
/// MLP searches write version 2, unchanged; transformer searches write version 3, which adds each
/// cell's token `position`, boundless DAS's learned sizes and activation-patching scores (fields a
/// version-2 reader does not know). Both versions are read back.
/// Everything but `timings` is a function of the flags and the seed, so two runs with the same
/// flags give byte-identical reports once `timings` is set aside.
struct SearchReport: Codable, Equatable {
    static let currentSchema = "interchange.das-search"
    static let currentVersion = 2
    /// The version of transformer reports.
    static let transformerVersion = 3
    /// The versions this das-search reads.
    static let readableVersions = [2, 3]

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
        var validationSize: Int
        var testSize: Int
        /// Seeds the network, the training and test data, and the random-network control.
        var seed: UInt64
        /// Seeds the validation data.
        var validationSeed: UInt64
        /// The DAS seeds (rotation initialization and example order) every cell runs with.
        var dasSeeds: [UInt64]
        /// DAS runs per seed, the best kept by validation IIA.
        var restarts: Int
        /// Early stopping of each DAS run on validation IIA; absent when off.
        var earlyStopping: EarlyStopping? = nil
        /// With `--data`: the dataset files searched on (training, then validation and test when given); absent otherwise.
        var dataFiles: [String]? = nil
        /// Transformers: the token positions searched (`last`, slots, indices); absent for MLPs.
        var positions: [String]? = nil
    }

    /// The network searched.
    struct Network: Codable, Equatable {
        /// `trained` (by this tool, from the seed) or `loaded` (from `path`).
        var origin: String
        var path: String?
        /// The MLP's architecture (absent for a transformer).
        var configuration: MLPConfiguration?
        /// The transformer's architecture (absent for an MLP).
        var transformer: TransformerDescription? = nil
        /// Accuracy on held-out factual inputs, for trained networks.
        var testAccuracy: Double?
    }

    /// Which slice of the grid this report holds: `index` of `count`, from 1.
    struct Shard: Codable, Equatable {
        var index: Int
        var count: Int
    }

    /// One DAS seed's figures in a cell, per split.
    struct SeedRun: Codable, Equatable {
        var seed: UInt64
        /// Test IIA.
        var iia: [String: Double]
        var validationIIA: [String: Double]
        /// The controls' test IIA.
        var controls: AlignmentControls
        /// Boundless DAS: the learned subspace size of each variable's run.
        var learnedSizes: [String: Int]? = nil

        init(seed: UInt64, results: [(run: String, result: AlignmentResult)]) {
            self.seed = seed
            let learned = results.compactMap { run in run.result.learnedSubspaceSize.map { (run.run, $0) } }
            learnedSizes = learned.isEmpty ? nil : Dictionary(uniqueKeysWithValues: learned)
            // Each DAS run scores its own splits; together they cover the cell's.
            func combined(_ scores: (AlignmentResult) -> AccuracyBySplit) -> AccuracyBySplit {
                results.reduce(into: [:]) { $0.merge(scores($1.result)) { first, _ in first } }
            }
            iia = combined(\.iia)
            validationIIA = combined(\.validationIIA)
            controls = AlignmentControls(identityBasis: combined(\.controls.identityBasis), randomRotation: combined(\.controls.randomRotation),
                                         randomNetwork: combined(\.controls.randomNetwork))
        }
    }

    /// 95% intervals per split: binomial (Wilson) for one seed, bootstrap over seeds and examples for several.
    struct CellIntervals: Codable, Equatable {
        var das: [String: IIAInterval]
        var validation: [String: IIAInterval]
        var identityBasis: [String: IIAInterval]
        var randomRotation: [String: IIAInterval]
        var randomNetwork: [String: IIAInterval]
    }

    /// One cell: the median over DAS seeds of each split's test and validation IIA and of the
    /// controls, their intervals, every seed's values, and the training losses.
    struct Cell: Codable, Equatable {
        var site: String
        var subspaceSize: Int
        /// Median over seeds of the test IIA (what the heatmap shows).
        var iia: [String: Double]
        /// Median over seeds of the validation IIA (what the best cell is chosen on).
        var validationIIA: [String: Double]
        /// Medians over seeds of the controls' test IIA.
        var controls: AlignmentControls
        var intervals: CellIntervals
        var seeds: [SeedRun]
        /// The mean loss of each epoch, per DAS run (the split it trained for), for the first seed.
        var epochLosses: [String: [Float]]
        /// The largest `max|RRᵀ − I|` among the cell's learned rotations.
        var orthonormalityError: Float?
        /// Transformers: the token position of the cell's site.
        var position: String? = nil
        /// Boundless DAS: the median over seeds of each variable's learned subspace size.
        var learnedSubspaceSize: [String: Double]? = nil
        /// `--method patching`: the activation-patching score of the cell (no DAS runs).
        var patching: ActivationPatching.Score? = nil

        init(site: String, subspaceSize: Int, seeds: [SeedRun], testCount: Int, validationCount: Int,
             epochLosses: [String: [Float]], orthonormalityError: Float?) {
            self.site = site
            self.subspaceSize = subspaceSize
            self.seeds = seeds
            self.epochLosses = epochLosses
            self.orthonormalityError = orthonormalityError
            func medians(_ scores: (SeedRun) -> [String: Double]) -> [String: Double] {
                let splits = Set(seeds.flatMap { scores($0).keys })
                return Dictionary(uniqueKeysWithValues: splits.map { split in (split, IIAInterval.median(seeds.compactMap { scores($0)[split] })) })
            }
            func intervals(_ scores: (SeedRun) -> [String: Double], examples: Int) -> [String: IIAInterval] {
                let splits = Set(seeds.flatMap { scores($0).keys })
                return Dictionary(uniqueKeysWithValues: splits.map { split in
                    let values = seeds.compactMap { scores($0)[split] }
                    return (split, values.count == 1
                        ? IIAInterval.binomial(successes: Int((values[0] * Double(examples)).rounded()), trials: examples)
                        : IIAInterval.bootstrap(values: values, examples: examples))
                })
            }
            iia = medians(\.iia)
            validationIIA = medians(\.validationIIA)
            let learned = medians { $0.learnedSizes?.mapValues(Double.init) ?? [:] }
            learnedSubspaceSize = learned.isEmpty ? nil : learned
            controls = AlignmentControls(identityBasis: medians(\.controls.identityBasis), randomRotation: medians(\.controls.randomRotation),
                                         randomNetwork: medians(\.controls.randomNetwork))
            self.intervals = CellIntervals(
                das: intervals(\.iia, examples: testCount), validation: intervals(\.validationIIA, examples: validationCount),
                identityBasis: intervals(\.controls.identityBasis, examples: testCount),
                randomRotation: intervals(\.controls.randomRotation, examples: testCount),
                randomNetwork: intervals(\.controls.randomNetwork, examples: testCount))
        }
    }

    /// The cell with the highest validation IIA on the headline split (all variables together),
    /// with its test IIA, computed once for it.
    struct Best: Codable, Equatable {
        var site: String
        /// Transformers: the token position.
        var position: String? = nil
        var subspaceSize: Int
        var split: String
        var validationIIA: Double
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
    /// How much the training, validation and test counterfactuals share.
    var overlap: SplitOverlap
    /// For tasks with few inputs: each searched site that maps different inputs to one representation (see `MergedInputs`).
    var mergedInputs: [String]
    var cells: [Cell]
    var best: Best?
    /// Transformers: for each split (variable), the cell with its highest validation IIA.
    var bestPerSplit: [String: Best]? = nil
    var timings: Timings

    init(configuration: Configuration, network: Network, shard: Shard, splits: [String], changedFractions: [String: Double],
         overlap: SplitOverlap, mergedInputs: [String], cells: [Cell], timings: Timings) {
        self.configuration = configuration
        self.network = network
        self.shard = shard
        self.splits = splits
        self.changedFractions = changedFractions
        self.overlap = overlap
        self.mergedInputs = mergedInputs
        self.cells = cells
        self.timings = timings
        best = SearchReport.best(of: cells, splits: splits)
        // Patching learns nothing and has no validation split: no cell is chosen.
        if configuration.method == "patching" { best = nil }
        if configuration.positions != nil, configuration.method != "patching" {
            bestPerSplit = Dictionary(uniqueKeysWithValues: splits.compactMap { split in
                SearchReport.best(of: cells, splits: [split]).map { (split, $0) }
            })
        }
    }

    /// Chosen on validation IIA: on the split "all variables" (the last), or the mean of each
    /// variable's own for per-variable methods. The test IIA is read for the chosen cell only.
    static func best(of cells: [Cell], splits: [String]) -> Best? {
        guard let headline = splits.last else { return nil }
        // Per-variable splits only (a transformer's boundless search: `LB`, `UB`): the mean of the variables'.
        let joint = splits.count == 1 || headline.contains("+")
        func score(_ scores: [String: Double]) -> Double {
            if joint, let value = scores[headline] { return value }
            let values = splits.compactMap { scores[$0] }
            return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        }
        var best: Best?
        for cell in cells where score(cell.validationIIA) > best?.validationIIA ?? -1 {
            best = Best(site: cell.site, position: cell.position, subspaceSize: cell.subspaceSize, split: headline,
                        validationIIA: score(cell.validationIIA), iia: score(cell.iia))
        }
        return best
    }

    /// The report as pretty-printed JSON with sorted keys.
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Non-finite numbers (a diverged loss) are written as strings rather than failing the whole report.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(self)
    }

    /// Reads a report, checking its schema and version.
    /// - Throws: `RuntimeError` naming the file when it is unreadable or not a current-version das-search report.
    init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw RuntimeError("cannot read the report \(url.path): \(FileMessages.reason(error))")
        }
        try self.init(data: data, path: url.path)
    }

    /// Parses a report from `data` (read from `path`), checking its schema, version and shard.
    /// - Throws: `RuntimeError` naming `path` and what is wrong; never traps, whatever the bytes.
    init(data: Data, path: String) throws {
        do {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
            self = try decoder.decode(SearchReport.self, from: data)
        } catch {
            throw RuntimeError("\(path) is not a readable das-search report: \(FileMessages.reason(error))")
        }
        guard schema == SearchReport.currentSchema, SearchReport.readableVersions.contains(version) else {
            throw RuntimeError("\(path) has schema \(schema) version \(version); this das-search reads \(SearchReport.currentSchema) versions \(SearchReport.readableVersions.map(String.init).joined(separator: " and "))")
        }
        guard shard.count >= 1, shard.index >= 1, shard.index <= shard.count else {
            throw RuntimeError("\(path): shard \(shard.index) of \(shard.count) is not a shard; it must be k of n with 1 ≤ k ≤ n")
        }
    }

    /// The report a single run would give, from the reports of all `n` shards of one search.
    /// - Throws: `UsageError` when the reports are of different searches, or shards are missing or repeated.
    static func merged(_ reports: [SearchReport]) throws -> SearchReport {
        guard let first = reports.first else { throw UsageError("merge needs at least one report") }
        for report in reports where report.configuration != first.configuration || report.network != first.network
            || report.splits != first.splits || report.changedFractions != first.changedFractions || report.overlap != first.overlap {
            throw UsageError("the reports come from different searches (their configurations or networks differ)")
        }
        // Each report's shard was checked to be k of n with 1 ≤ k ≤ n when it was read; n must also be the number
        // of reports given, which bounds it before a range of n shards is made.
        let indices = reports.map(\.shard.index).sorted()
        guard reports.allSatisfy({ $0.shard.count == first.shard.count }), first.shard.count == reports.count,
              indices == Array(1...reports.count) else {
            throw UsageError("merge needs each of the \(first.shard.count) shards exactly once; got shards \(indices.map(String.init).joined(separator: ", "))")
        }
        // The grid the search ran (site by site, sizes ascending, as `AlignmentGrid`): each shard must hold
        // exactly its slice of it, every cell once.
        // A transformer search nests positions between sites and sizes (`TransformerCell.grid`).
        let positions: [String?] = first.configuration.positions ?? [nil]
        let grid = first.configuration.layers.flatMap { site in positions.flatMap { position in
            first.configuration.dims.sorted().map { GridKey(site: site, position: position, subspaceSize: $0) } } }
        for report in reports {
            let slice = grid.enumerated().filter { $0.offset % report.shard.count == report.shard.index - 1 }.map(\.element)
            let held = report.cells.map { GridKey(site: $0.site, position: $0.position, subspaceSize: $0.subspaceSize) }
            if let stray = held.first(where: { !slice.contains($0) }) {
                throw UsageError("shard \(report.shard.index)/\(report.shard.count) holds the cell \(stray.site)\(stray.position.map { " at \($0)" } ?? "") size \(stray.subspaceSize), which is not in its slice of the search")
            }
            if let repeated = held.enumerated().first(where: { held[..<$0.offset].contains($0.element) })?.element {
                throw UsageError("shard \(report.shard.index)/\(report.shard.count) holds the cell \(repeated.site)\(repeated.position.map { " at \($0)" } ?? "") size \(repeated.subspaceSize) twice")
            }
            if held.count != slice.count {
                throw UsageError("shard \(report.shard.index)/\(report.shard.count) holds \(held.count) of the \(slice.count) cells of its slice")
            }
        }
        let order = { (cell: Cell) in grid.firstIndex(of: GridKey(site: cell.site, position: cell.position, subspaceSize: cell.subspaceSize)) ?? 0 }
        let cells = reports.flatMap(\.cells).sorted { order($0) < order($1) }
        var merged = SearchReport(
            configuration: first.configuration, network: first.network, shard: Shard(index: 1, count: 1), splits: first.splits,
            changedFractions: first.changedFractions, overlap: first.overlap,
            mergedInputs: Array(Set(reports.flatMap(\.mergedInputs))).sorted(), cells: cells,
            timings: Timings(totalSeconds: reports.map(\.timings.totalSeconds).reduce(0, +),
                             networkSeconds: reports.map(\.timings.networkSeconds).max() ?? 0,
                             cellSeconds: reports.reduce(into: [:]) { $0.merge($1.timings.cellSeconds) { first, _ in first } }))
        merged.version = first.version
        return merged
    }

    /// A cell's place in the grid of a search.
    struct GridKey: Equatable {
        var site: String
        var position: String?
        var subspaceSize: Int
    }

    /// The table printed at the end of a search.
    var summary: String {
        if let transformer = network.transformer { return transformerSummary(transformer) }
        func format(_ value: Double?) -> String { value.map { NumberText.decimal($0, decimals: 3) } ?? "-" }
        let headline = splits.last ?? ""
        let seeds = configuration.dasSeeds
        let many = seeds.count > 1
        func withInterval(_ value: Double?, _ interval: IIAInterval?) -> String {
            guard let value else { return "-" }
            guard let interval, interval.low.isFinite else { return format(value) }
            return String(format: "%.3f [%.2f, %.2f]", value, interval.low, interval.high)
        }
        let header = ["site", "dims", "val \(headline)"] + splits.map { "IIA \($0)" } + ["neurons", "random rotation", "random network"]
        let rows = cells.map { cell in
            [cell.site, "\(cell.subspaceSize)", format(cell.validationIIA[headline])]
                + splits.map { $0 == headline ? withInterval(cell.iia[$0], cell.intervals.das[$0]) : format(cell.iia[$0]) }
                + [(cell.controls.identityBasis, cell.intervals.identityBasis), (cell.controls.randomRotation, cell.intervals.randomRotation),
                   (cell.controls.randomNetwork, cell.intervals.randomNetwork)].map { withInterval($0.0[headline], $0.1[headline]) }
        }
        let accuracy = network.testAccuracy.map { String(format: ", test accuracy %.3f", $0) } ?? ""
        let seedText = many ? "DAS seeds \(seeds.map(String.init).joined(separator: ","))" : "DAS seed \(seeds.first ?? configuration.seed)"
        var lines = [
            "das-search: task \(configuration.task), method \(configuration.method), seed \(configuration.seed), \(seedText)\(configuration.restarts > 1 ? ", best of \(configuration.restarts) restarts by validation IIA" : "")\(shard.count > 1 ? ", shard \(shard.index)/\(shard.count)" : "")",
            "network: \(network.origin == "loaded" ? network.path ?? "" : "trained") (\(network.configuration.map { "\($0.inputDimension)-\($0.hiddenDimensions.map(String.init).joined(separator: "-"))-\($0.outputDimension), \($0.activation.rawValue)" } ?? "")\(accuracy))",
            "data per intervention set: \(configuration.trainSize) training, \(configuration.validationSize) validation (seed \(configuration.validationSeed)), \(configuration.testSize) test",
            overlap.summary,
            "labels the interventions change: " + splits.map { "\($0) \(format(changedFractions[$0]))" }.joined(separator: ", "),
            "IIA is on held-out test counterfactuals, computed once per run; controls are on \(headline); 'val' is validation IIA, what the best cell is chosen on",
            many ? "each figure is the median over the \(seeds.count) DAS seeds, [95% bootstrap interval over seeds and examples]; every seed's value is in the JSON report"
                 : "[95% binomial (Wilson) interval over the \(configuration.testSize) test examples]; run with --seeds 5 for the spread over DAS seeds",
            "",
            TextTable(header: header, rows: rows).rendered,
        ]
        if let best {
            lines.append("\nBest (chosen on validation): \(best.site) with \(best.subspaceSize) dimension\(best.subspaceSize == 1 ? "" : "s") per variable, validation IIA \(format(best.validationIIA)), test IIA \(format(best.iia)) on \(best.split).")
            if let cell = cells.first(where: { $0.site == best.site && $0.subspaceSize == best.subspaceSize }) {
                lines.append(verdict(for: cell, headline: headline))
            }
        }
        if !mergedInputs.isEmpty {
            lines.append("\nWhy IIA cannot reach 1 at some layers: the network gives different inputs the same representation there, so the variables that tell them apart are gone at that layer and no intervention on it can bring them back:")
            lines += mergedInputs.map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    /// A plain sentence on whether the best cell's IIA stands clear of its controls: its interval's
    /// low end must be above every control's interval's high end.
    func verdict(for cell: Cell, headline: String) -> String {
        guard let das = cell.intervals.das[headline] else { return "" }
        let controls = [("neurons", cell.intervals.identityBasis[headline]), ("random rotation", cell.intervals.randomRotation[headline]),
                        ("random network", cell.intervals.randomNetwork[headline])]
        let overlapping = controls.filter { ($0.1?.high ?? 0) >= das.low }.map(\.0)
        if overlapping.isEmpty && das.low >= 0.9 {
            return "DAS finds the variables here: the interval of its IIA lies above every control's."
        }
        if overlapping.isEmpty {
            return String(format: "DAS stands above every control here, but at IIA %.3f the variables are only partly held apart in this layer.", das.median)
        }
        return "DAS does NOT stand clear of its controls here (\(overlapping.joined(separator: ", ")) reach its interval): this network does not hold the variables apart in a way these interventions can find."
    }
}
