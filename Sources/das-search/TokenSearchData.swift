import Alignment
import CausalModels
import Experiments
import Interventions
import TokenTasks
import Tensors
import Transformers

/// The token counterfactuals a transformer search runs on, per intervention set and split, drawn
/// with the seeds `ExperimentData` uses for MLPs (training `seed·1000 + i`, validation
/// `v·1000 + 250 + i`, test `seed·1000 + 500 + i` for the `i`-th set).
struct TokenSearchData {
    let trainingSets: [TokenAlignmentDataset]
    let validationSets: [TokenAlignmentDataset]
    let tests: [TokenAlignmentDataset]
    let overlap: SplitOverlap

    init(task: TokenSearchTask, encoder: TokenTaskEncoder, sets: [[String]], trainingCount: Int, validationCount: Int, testCount: Int,
         seed: UInt64, validationSeed: UInt64) throws {
        func draw(_ set: [String], _ count: Int, _ seed: UInt64) throws -> TokenAlignmentDataset {
            try TokenAlignmentDataset(CounterfactualDataset(sampling: task.task.model, intervening: set, count: count, seed: seed,
                                                            options: CounterfactualOptions(balancesLabels: true)),
                                      variables: task.variables, encoder: encoder)
        }
        trainingSets = try sets.enumerated().map { try draw($1, trainingCount, seed &* 1000 &+ UInt64($0)) }
        validationSets = try sets.enumerated().map { try draw($1, validationCount, validationSeed &* 1000 &+ 250 &+ UInt64($0)) }
        tests = try sets.enumerated().map { try draw($1, testCount, seed &* 1000 &+ 500 &+ UInt64($0)) }
        overlap = SplitOverlap(training: try trainingSets.map(Self.idView), validation: try validationSets.map(Self.idView),
                               tests: try tests.map(Self.idView))
    }

    /// The prompts' ids as rows of numbers (padded with −1), the form `SplitOverlap` compares examples in.
    static func idView(_ data: TokenAlignmentDataset) throws -> AlignmentDataset {
        let length = (data.baseIDs + data.sourceIDs.flatMap { $0 }).map(\.count).max() ?? 0
        func rows(_ prompts: [[Int]]) throws -> Tensor {
            try Tensor(shape: [prompts.count, length], scalars: prompts.flatMap { $0.map(Float.init) + [Float](repeating: -1, count: length - $0.count) })
        }
        return try AlignmentDataset(name: data.name, variables: data.variables, baseInputs: rows(data.baseIDs),
                                    sourceInputs: data.sourceIDs.map(rows), labels: data.labels, baseLabels: data.baseLabels)
    }
}

/// Runs DAS with its controls (or activation patching) in one (site, position, size) cell of a
/// transformer search, once per DAS seed.
struct TransformerCellRunner {
    let model: Transformer
    let task: TokenSearchTask
    /// `nil` for activation patching.
    let method: AlignmentMethod?
    let data: TokenSearchData?
    let patching: ActivationPatching?
    let padToken: Int
    let configuration: SearchReport.Configuration

    var alignsVariablesAlone: Bool { method == .boundless || method == .sigmoidMask }

    var runsPerCell: Int { method == nil ? 1 : (alignsVariablesAlone ? task.variables.count : 1) * configuration.dasSeeds.count }

    func run(_ cell: TransformerCell, progress: (Int, String) -> Void) throws -> SearchReport.Cell {
        let site = try Site(parsing: cell.site)
        guard let method, let data else {
            progress(0, "\(cell.site) at \(cell.position), patching")
            var report = SearchReport.Cell(site: cell.site, subspaceSize: cell.subspaceSize, seeds: [], testCount: configuration.testSize,
                                           validationCount: 0, epochLosses: [:], orthonormalityError: nil)
            report.position = cell.position
            report.patching = try patching!.score(site: site, position: TokenPosition(parsing: cell.position))
            return report
        }
        var seedRuns: [SearchReport.SeedRun] = []
        var epochLosses: [String: [Float]] = [:]
        var orthonormality: [Float] = []
        for (seedIndex, dasSeed) in configuration.dasSeeds.enumerated() {
            var results: [(run: String, result: AlignmentResult)] = []
            let runs: [(name: String, variables: [String], set: Int)] = alignsVariablesAlone
                ? task.variables.enumerated().map { ($1, [$1], $0) }
                : [(task.variables.joined(separator: "+"), task.variables, data.trainingSets.count - 1)]
            for (index, run) in runs.enumerated() {
                progress(seedIndex * runs.count + index, "\(cell.site) at \(cell.position), size \(cell.subspaceSize), \(run.name)"
                         + (configuration.dasSeeds.count > 1 ? ", DAS seed \(dasSeed)" : ""))
                let das = DASConfiguration(site: cell.site, variables: run.variables, subspaceSizes: run.variables.map { _ in cell.subspaceSize },
                                           method: method, rank: method == .sigmoidMask ? cell.subspaceSize : nil, epochs: configuration.epochs,
                                           batchSize: configuration.batchSize, learningRate: configuration.learningRate, seed: dasSeed)
                // Per-variable runs train on their own set; a joint run on every set, mixed.
                let restrict = { (set: TokenAlignmentDataset) in try alignsVariablesAlone ? set.restricted(to: run.name) : set }
                let training = alignsVariablesAlone ? try restrict(data.trainingSets[run.set]) : try TokenAlignmentDataset.concatenating(data.trainingSets)
                let validation = alignsVariablesAlone ? [try restrict(data.validationSets[run.set])] : data.validationSets
                let tests = alignsVariablesAlone ? [try restrict(data.tests[run.set])] : data.tests
                var configured = das
                configured.position = cell.position
                let (result, _) = try TransformerAlignmentSearch.alignWithControls(
                    model: model, configuration: configured, position: TokenPosition(parsing: cell.position), training: training,
                    validation: validation.filter { $0.count > 0 }, tests: tests, padToken: padToken,
                    randomModelSeed: configuration.seed &+ 1000, restarts: configuration.restarts)
                results.append((run.name, result))
            }
            seedRuns.append(SearchReport.SeedRun(seed: dasSeed, results: results))
            if seedIndex == 0 { epochLosses = Dictionary(uniqueKeysWithValues: results.map { ($0.run, $0.result.epochLosses) }) }
            orthonormality += results.compactMap(\.result.orthonormalityError)
        }
        var report = SearchReport.Cell(site: cell.site, subspaceSize: cell.subspaceSize, seeds: seedRuns, testCount: configuration.testSize,
                                       validationCount: configuration.validationSize, epochLosses: epochLosses,
                                       orthonormalityError: orthonormality.max())
        report.position = cell.position
        return report
    }
}

/// One cell of a transformer search.
struct TransformerCell: Equatable {
    var site: String
    var position: String
    var subspaceSize: Int

    /// Sites x positions x sizes, in that nesting order (sizes ascending), as the report lists them.
    static func grid(sites: [String], positions: [String], sizes: [Int]) -> [TransformerCell] {
        sites.flatMap { site in positions.flatMap { position in sizes.sorted().map { TransformerCell(site: site, position: position, subspaceSize: $0) } } }
    }
}
