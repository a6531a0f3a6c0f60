import CausalModels
import Foundation
import Testing
import TestSupport
import Interventions
import Networks
import Tensors
@testable import Alignment

@Suite struct DistributedAlignmentSearchTests {
    let task = try! CausalTask.booleanAnd()

    func data(_ sets: [[String]], count: Int, seed: UInt64) throws -> AlignmentDataset {
        try AlignmentDataset.concatenating(sets.enumerated().map { index, set in
            try AlignmentDataset(CounterfactualDataset(sampling: task.model, intervening: set, count: count, seed: seed + UInt64(index),
                                                       options: CounterfactualOptions(balancesLabels: true)),
                                 variables: ["A", "B"], encoding: task.encoding)
        })
    }

    func network(seed: UInt64 = 1) throws -> MultilayerPerceptron {
        try MultilayerPerceptron(MLPConfiguration(inputDimension: 2, hiddenDimensions: [4, 4], outputDimension: 2), seed: seed)
    }

    @Test func sourcesOfVariablesNotIntervenedOnAreTheBase() throws {
        let only = try data([["A"]], count: 20, seed: 1)
        #expect(only.name == "A")
        #expect(only.sourceInputs[1].scalars == only.baseInputs.scalars)
        #expect(only.sourceInputs[0].scalars != only.baseInputs.scalars)
        let stray = try CounterfactualDataset(sampling: task.model, intervening: ["C"], count: 4, seed: 1)
        let error = try #require(throws: AlignmentError.self) { try AlignmentDataset(stray, variables: ["A", "B"], encoding: task.encoding) }
        #expect(error.description.contains("intervenes on C") && error.description.contains("A, B"))
    }

    @Test func exchangeFileHoldsTheDocumentedTensors() throws {
        let dataset = try data([["A"], ["A", "B"]], count: 10, seed: 2)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("alignment-\(UUID().uuidString).safetensors")
        try dataset.write(to: url, site: "layer.0", subspaceSizes: [1, 1])
        let archive = try SafetensorsArchive(contentsOf: url)
        #expect(try archive.tensor("base").shape == [20, 2])
        #expect(try archive.tensor("sources").shape == [2, 20, 2])
        #expect(try archive.integerTensor("labels").values == dataset.labels)
        #expect(archive.metadata["variables"] == "A,B" && archive.metadata["subspace_sizes"] == "1,1")
    }

    @Test func badConfigurationsAreRejectedWithTheirReasons() throws {
        let network = try network()
        func configuration(_ site: String = "layer.0", sizes: [Int] = [1, 1], variables: [String] = ["A", "B"], method: AlignmentMethod = .rotation) -> DASConfiguration {
            DASConfiguration(site: site, variables: variables, subspaceSizes: sizes, method: method)
        }
        let tooBig = try #require(throws: AlignmentError.self) { try DistributedAlignmentSearch(network: network, configuration: configuration(sizes: [3, 2])) }
        #expect(tooBig.description.contains("layer.0") && tooBig.description.contains("width is 4") && tooBig.description.contains("1...4"))
        let unknown = try #require(throws: InterventionError.self) { try DistributedAlignmentSearch(network: network, configuration: configuration("layer.7")) }
        #expect(unknown.description.contains("layer.0, layer.1"))
        #expect(throws: AlignmentError.self) { try DistributedAlignmentSearch(network: network, configuration: configuration(sizes: [1])) }
        let boundless = try #require(throws: AlignmentError.self) {
            try DistributedAlignmentSearch(network: network, configuration: configuration(method: .boundless))
        }
        #expect(boundless.description.contains("one variable"))
    }

    @Test func trainingKeepsTheRotationOrthonormalAndIsReproducible() throws {
        let training = try data([["A"], ["B"], ["A", "B"]], count: 40, seed: 3)
        let configuration = DASConfiguration(site: "layer.1", variables: ["A", "B"], subspaceSizes: [1, 2], epochs: 5, batchSize: 16,
                                             learningRate: 0.01, seed: 4)
        func trainedRotation() throws -> [Float] {
            let search = try DistributedAlignmentSearch(network: network(), configuration: configuration)
            try search.train(on: training)
            let rotation = (search.intervention as! RotatedSpaceIntervention).rotation
            #expect(rotation.orthonormalityError < 1e-4)
            #expect(search.epochLosses.count == 5)
            return rotation.matrix.scalars
        }
        #expect(try trainedRotation() == trainedRotation())
    }

    @Test func cachedRepresentationsGiveTheSameLogitsAsTheFullForwardPass() throws {
        let network = try network(seed: 5)
        let test = try data([["A", "B"]], count: 30, seed: 6)
        let search = try DistributedAlignmentSearch(network: network, configuration: DASConfiguration(
            site: "layer.0", variables: ["A", "B"], subspaceSizes: [2, 1], epochs: 2, batchSize: 8, learningRate: 0.01, seed: 7))
        try search.train(on: test)
        let full = try network.interchange(base: test.baseInputs, sources: test.sourceInputs, at: search.site, intervention: search.intervention)
        let cached = try SiteRepresentations(network: network, site: search.site, data: test)
            .interveneLogits(rows: Array(0..<test.count), with: search.intervention)
        #expect(close(full.scalars, cached.scalars, tolerance: 1e-5))
        let accuracy = Double(zip(full.argmaxRows(), test.labels).filter { $0 == $1 }.count) / Double(test.count)
        #expect(try search.interchangeInterventionAccuracy(on: test) == accuracy)
    }

    @Test func aLossThatIsNotFiniteStopsTrainingWithTheSiteAndStep() throws {
        let network = try network()
        network.output.weight.scalars[0] = .infinity
        let search = try DistributedAlignmentSearch(network: network, configuration: DASConfiguration(
            site: "layer.0", variables: ["A", "B"], subspaceSizes: [1, 1], epochs: 1, batchSize: 8, learningRate: 0.01))
        let error = try #require(throws: AlignmentError.self) { try search.train(on: data([["A"]], count: 16, seed: 8)) }
        #expect(error.description.contains("layer.0") && error.description.contains("step 0"))
    }

    @Test func gridKeepsCellsThatFitAndShardsPartitionThem() throws {
        let grid = try AlignmentGrid(network: network(), sites: ["layer.0", "layer.1"], sizes: [1, 2, 4], variableCount: 2)
        #expect(grid.cells.map { "\($0.site):\($0.subspaceSize)" } == ["layer.0:1", "layer.0:2", "layer.1:1", "layer.1:2"])
        let shards = (0..<3).map { grid.shard($0, of: 3) }
        #expect(shards.flatMap { $0 }.count == grid.cells.count)
        #expect(Set(shards.flatMap { $0 }) == Set(grid.cells))
    }
}

/// What a choice between runs is made on: validation data, never test data.
@Suite struct ChoosingOnValidationTests {
    let task = try! CausalTask.booleanAnd()

    func data(seed: UInt64, count: Int) throws -> AlignmentDataset {
        try AlignmentDataset.concatenating([["A"], ["B"], ["A", "B"]].enumerated().map { index, set in
            try AlignmentDataset(CounterfactualDataset(sampling: task.model, intervening: set, count: count, seed: seed + UInt64(index),
                                                       options: CounterfactualOptions(balancesLabels: true)),
                                 variables: ["A", "B"], encoding: task.encoding)
        })
    }

    @Test func restartsAreChosenByValidationIIA() throws {
        let network = try MultilayerPerceptron(MLPConfiguration(inputDimension: 2, hiddenDimensions: [4, 4], outputDimension: 2), seed: 3)
        let training = try data(seed: 10, count: 64), validation = try data(seed: 20, count: 64)
        let configuration = DASConfiguration(site: "layer.0", variables: ["A", "B"], subspaceSizes: [1, 1], epochs: 2, batchSize: 32,
                                             learningRate: 0.01, seed: 7)
        // Each restart alone, scored on validation.
        let scores = try (0..<4).map { restart -> Double in
            var attempt = configuration
            attempt.seed = 7 + UInt64(restart)
            let search = try DistributedAlignmentSearch(network: network, configuration: attempt)
            try search.train(on: training)
            return try search.interchangeInterventionAccuracy(on: validation)
        }
        let chosen = try DistributedAlignmentSearch.bestOfRestarts(network: network, configuration: configuration, restarts: 4, on: training,
                                                                   choosingOn: validation)
        #expect(try chosen.interchangeInterventionAccuracy(on: validation) == scores.max())
        #expect(scores.firstIndex(of: scores.max()!).map { 7 + UInt64($0) } == chosen.configuration.seed || scores.filter { $0 == scores.max() }.count > 1)
    }

    @Test func trainingTouchesOnlyTrainableParametersAndEvaluationRecordsNothing() throws {
        let network = try MultilayerPerceptron(MLPConfiguration(inputDimension: 2, hiddenDimensions: [4, 4], outputDimension: 2), seed: 3)
        let search = try DistributedAlignmentSearch(network: network, configuration: DASConfiguration(
            site: "layer.0", variables: ["A", "B"], subspaceSizes: [1, 1], epochs: 1, batchSize: 32, learningRate: 0.01, seed: 1))
        let training = try data(seed: 10, count: 32)
        // A frozen intervention trains nothing: its rotation stays as it was.
        search.intervention.freeze()
        let before = search.intervention.parameters.map(\.scalars)
        try search.train(on: training)
        #expect(search.intervention.parameters.map(\.scalars) == before)
        search.intervention.unfreeze()
        try search.train(on: training)
        #expect(search.intervention.parameters.map(\.scalars) != before)
        // Scoring leaves the parameters' flags and values alone.
        let after = search.intervention.parameters.map(\.scalars)
        _ = try search.interchangeInterventionAccuracy(on: training)
        #expect(search.intervention.parameters.allSatisfy { $0.requiresGradient })
        #expect(search.intervention.parameters.map(\.scalars) == after)
    }
}
