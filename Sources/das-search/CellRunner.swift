import Alignment
import Experiments
import Networks

/// Runs DAS with its controls in one grid cell, once per DAS seed.
struct CellRunner {
    let network: MultilayerPerceptron
    let searchTask: SearchTask
    let method: AlignmentMethod
    let data: SearchData
    let configuration: SearchReport.Configuration

    /// Boundless and sigmoid-mask DAS learn one variable's subspace, so they run once per variable.
    var alignsVariablesAlone: Bool { method == .boundless || method == .sigmoidMask }

    var runsPerCell: Int { (alignsVariablesAlone ? searchTask.variables.count : 1) * configuration.dasSeeds.count }

    /// The cell's report; `progress(runsDone, note)` before each DAS run.
    func run(_ cell: AlignmentGrid.Cell, progress: (Int, String) -> Void) throws -> SearchReport.Cell {
        var seedRuns: [SearchReport.SeedRun] = []
        var epochLosses: [String: [Float]] = [:]
        var orthonormality: [Float] = []
        for (seedIndex, dasSeed) in configuration.dasSeeds.enumerated() {
            let results = try runs(cell, dasSeed: dasSeed) { done, note in
                progress(seedIndex * runsPerCell / configuration.dasSeeds.count + done,
                         note + (configuration.dasSeeds.count > 1 ? ", DAS seed \(dasSeed)" : ""))
            }
            seedRuns.append(SearchReport.SeedRun(seed: dasSeed, results: results))
            // The training curves of the first seed (the others are alike; their IIAs are all kept).
            if seedIndex == 0 { epochLosses = Dictionary(uniqueKeysWithValues: results.map { ($0.run, $0.result.epochLosses) }) }
            orthonormality += results.compactMap(\.result.orthonormalityError)
        }
        return SearchReport.Cell(site: cell.site, subspaceSize: cell.subspaceSize, seeds: seedRuns,
                                 testCount: configuration.testSize, validationCount: configuration.validationSize,
                                 epochLosses: epochLosses, orthonormalityError: orthonormality.max())
    }

    /// The DAS runs of one seed: one for all variables, or one per variable for per-variable methods.
    private func runs(_ cell: AlignmentGrid.Cell, dasSeed: UInt64, progress: (Int, String) -> Void) throws -> [(run: String, result: AlignmentResult)] {
        func dasConfiguration(_ variables: [String]) -> DASConfiguration {
            DASConfiguration(site: cell.site, variables: variables, subspaceSizes: variables.map { _ in cell.subspaceSize },
                             method: method, rank: method == .sigmoidMask ? cell.subspaceSize : nil,
                             epochs: configuration.epochs, batchSize: configuration.batchSize, learningRate: configuration.learningRate,
                             seed: dasSeed, earlyStopping: configuration.earlyStopping)
        }
        guard alignsVariablesAlone else {
            progress(0, "\(cell.site), size \(cell.subspaceSize)")
            let (result, _) = try DistributedAlignmentSearch.alignWithControls(
                network: network, configuration: dasConfiguration(searchTask.variables), training: data.training,
                validation: data.validation, tests: data.tests, randomNetworkSeed: configuration.seed &+ 1000, restarts: configuration.restarts)
            return [(searchTask.variables.joined(separator: "+"), result)]
        }
        var results: [(run: String, result: AlignmentResult)] = []
        for (index, variable) in searchTask.variables.enumerated() {
            progress(index, "\(cell.site), size \(cell.subspaceSize), \(variable)")
            guard let set = searchTask.interventionSets.firstIndex(of: [variable]) else { continue }
            let validation = data.validationSets[set].count > 0 ? [try data.validationSets[set].restricted(to: variable)] : []
            let (result, _) = try DistributedAlignmentSearch.alignWithControls(
                network: network, configuration: dasConfiguration([variable]), training: data.trainingSets[set].restricted(to: variable),
                validation: validation, tests: [data.tests[set].restricted(to: variable)],
                randomNetworkSeed: configuration.seed &+ 1000, restarts: configuration.restarts)
            results.append((variable, result))
        }
        return results
    }
}
