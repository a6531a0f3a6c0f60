import Alignment
import Experiments
import Networks

/// Runs DAS with its controls in one grid cell.
struct CellRunner {
    let network: MultilayerPerceptron
    let searchTask: SearchTask
    let method: AlignmentMethod
    let data: ExperimentData
    let configuration: SearchReport.Configuration

    /// Boundless and sigmoid-mask DAS learn one variable's subspace, so they run once per variable.
    var alignsVariablesAlone: Bool { method == .boundless || method == .sigmoidMask }

    var runsPerCell: Int { alignsVariablesAlone ? searchTask.variables.count : 1 }

    /// The cell's report; `progress(runsDone, note)` after each DAS run.
    func run(_ cell: AlignmentGrid.Cell, progress: (Int, String) -> Void) throws -> SearchReport.Cell {
        func dasConfiguration(_ variables: [String]) -> DASConfiguration {
            DASConfiguration(site: cell.site, variables: variables, subspaceSizes: variables.map { _ in cell.subspaceSize },
                             method: method, rank: method == .sigmoidMask ? cell.subspaceSize : nil,
                             epochs: configuration.epochs, batchSize: configuration.batchSize, learningRate: configuration.learningRate,
                             seed: configuration.seed)
        }
        guard alignsVariablesAlone else {
            progress(0, "\(cell.site), size \(cell.subspaceSize)")
            let (result, _) = try DistributedAlignmentSearch.alignWithControls(
                network: network, configuration: dasConfiguration(searchTask.variables), training: data.training, tests: data.tests,
                randomNetworkSeed: configuration.seed &+ 1000)
            return SearchReport.Cell(cell: cell, results: [(searchTask.variables.joined(separator: "+"), result)])
        }
        var results: [(String, AlignmentResult)] = []
        for (index, variable) in searchTask.variables.enumerated() {
            progress(index, "\(cell.site), size \(cell.subspaceSize), \(variable)")
            guard let set = searchTask.interventionSets.firstIndex(of: [variable]) else { continue }
            let (result, _) = try DistributedAlignmentSearch.alignWithControls(
                network: network, configuration: dasConfiguration([variable]), training: data.trainingSets[set].restricted(to: variable),
                tests: [data.tests[set].restricted(to: variable)], randomNetworkSeed: configuration.seed &+ 1000)
            results.append((variable, result))
        }
        return SearchReport.Cell(cell: cell, results: results)
    }
}
