import CausalModels
import Foundation
import Testing
import Networks
import Tensors
@testable import Alignment

/// Early stopping on validation IIA: the rotation kept is the best one seen, and patience ends a run early.
@Suite struct EarlyStoppingTests {
    let task = try! CausalTask.booleanAnd()

    func data(seed: UInt64, count: Int) throws -> AlignmentDataset {
        try AlignmentDataset.concatenating([["A"], ["B"], ["A", "B"]].enumerated().map { index, set in
            try AlignmentDataset(CounterfactualDataset(sampling: task.model, intervening: set, count: count, seed: seed + UInt64(index),
                                                       options: CounterfactualOptions(balancesLabels: true)),
                                 variables: ["A", "B"], encoding: task.encoding)
        })
    }

    /// The training data with every label flipped: on two classes its IIA is exactly 1 − the
    /// training IIA, so the more DAS fits the training data the worse this validation gets.
    func flipped(_ data: AlignmentDataset) throws -> AlignmentDataset {
        try AlignmentDataset(name: "flipped", variables: data.variables, baseInputs: data.baseInputs, sourceInputs: data.sourceInputs,
                             labels: data.labels.map { 1 - $0 }, baseLabels: data.baseLabels)
    }

    func configuration(every: Int, patience: Int) -> DASConfiguration {
        DASConfiguration(site: "layer.0", variables: ["A", "B"], subspaceSizes: [1, 1], epochs: 60, batchSize: 32, learningRate: 0.05,
                         seed: 7, earlyStopping: EarlyStopping(every: every, patience: patience))
    }

    /// A network that computes A ∧ B with (A, B) rotated by 40° in its hidden layer, so that DAS has
    /// something to learn: `h = R x`, logits `(0, 4 ([1, 1] Rᵀ h − 1.5))`.
    func network() throws -> MultilayerPerceptron {
        let radians = Float(40 * Double.pi / 180)
        let rotation: [Float] = [cos(radians), -sin(radians), sin(radians), cos(radians)]
        let readout = [rotation[0] + rotation[1], rotation[2] + rotation[3]].map { $0 * 4 }
        return try MultilayerPerceptron(
            layers: [Linear(weight: Tensor(shape: [2, 2], scalars: rotation), bias: Tensor.zeros(shape: [2]))],
            output: Linear(weight: Tensor(shape: [2, 2], scalars: [0, 0] + readout), bias: Tensor([0, -6])),
            activation: .identity)
    }

    @Test func theHandBuiltNetworkComputesAndAndDASFitsIt() throws {
        let network = try network()
        let inputs = try Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])
        #expect(try network(inputs).argmaxRows() == [0, 0, 0, 1])
        var plain = configuration(every: 1, patience: 1)
        plain.earlyStopping = nil
        let search = try DistributedAlignmentSearch(network: network, configuration: plain)
        let training = try data(seed: 10, count: 32)
        let before = try search.interchangeInterventionAccuracy(on: training)
        try search.train(on: training)
        #expect(try search.interchangeInterventionAccuracy(on: training) > before)
    }

    @Test func trainingPastTheBestIsUndoneAndTheBestRotationRestored() throws {
        let training = try data(seed: 10, count: 32)
        let validation = try flipped(training)
        // Patience longer than the run: it trains every step and then restores the best.
        let search = try DistributedAlignmentSearch(network: network(), configuration: configuration(every: 1, patience: 1000))
        var rotations: [Int: [Float]] = [:]
        try search.train(on: training, validation: validation) { progress in
            rotations[progress.step] = search.intervention.parameters.map(\.scalars).flatMap { $0 }
        }
        let total = search.stepCount(forExamples: training.count)
        #expect(search.stepsTaken == total)
        #expect(search.validationChecks.map(\.step) == Array(1...total))
        let best = try #require(search.restoredCheck)
        let bestIIA = try #require(search.validationChecks.map(\.iia).max())
        // The first check with the highest validation IIA is the one kept…
        #expect(best.iia == bestIIA && best.step == search.validationChecks.first { $0.iia == bestIIA }!.step)
        // …training went on past it and made validation worse…
        #expect(best.step < total)
        #expect(search.validationChecks.last!.iia < best.iia)
        // …and the intervention now holds exactly the rotation it had after that step, scoring that IIA again.
        #expect(search.intervention.parameters.map(\.scalars).flatMap { $0 } == rotations[best.step])
        #expect(try search.interchangeInterventionAccuracy(on: validation) == best.iia)
        // On the training data that is a worse fit than the end of the run was.
        #expect(abs(try search.interchangeInterventionAccuracy(on: training) - (1 - best.iia)) < 1e-12)
    }

    @Test func patienceStopsTheRunEarlyAndDeterministically() throws {
        let training = try data(seed: 10, count: 32)
        let validation = try flipped(training)
        func run() throws -> DistributedAlignmentSearch {
            let search = try DistributedAlignmentSearch(network: network(), configuration: configuration(every: 2, patience: 3))
            try search.train(on: training, validation: validation)
            return search
        }
        let search = try run()
        let best = try #require(search.restoredCheck)
        let total = search.stepCount(forExamples: training.count)
        // It stopped at the third check after the best one, long before the planned end.
        #expect(search.stepsTaken == best.step + 3 * 2)
        #expect(search.stepsTaken < total / 2)
        #expect(search.validationChecks.map(\.step) == Array(stride(from: 2, through: search.stepsTaken, by: 2)))
        #expect(search.validationChecks.filter { $0.step > best.step }.allSatisfy { $0.iia <= best.iia })
        // The same configuration gives the same run.
        let again = try run()
        #expect(again.validationChecks == search.validationChecks)
        #expect(again.intervention.parameters.map(\.scalars) == search.intervention.parameters.map(\.scalars))
    }

    @Test func withoutValidationOrWithAnImprovingOneItIsThePlainRun() throws {
        let training = try data(seed: 10, count: 32)
        var plain = configuration(every: 1, patience: 1)
        plain.earlyStopping = nil
        let reference = try DistributedAlignmentSearch(network: network(), configuration: plain)
        try reference.train(on: training)
        // No validation data: early stopping has nothing to watch and the run is unchanged.
        let unwatched = try DistributedAlignmentSearch(network: network(), configuration: configuration(every: 1, patience: 1))
        try unwatched.train(on: training)
        #expect(unwatched.validationChecks.isEmpty && unwatched.stepsTaken == reference.stepsTaken)
        #expect(unwatched.intervention.parameters.map(\.scalars) == reference.intervention.parameters.map(\.scalars))
        // Bad rules are refused by name.
        let error = try #require(throws: AlignmentError.self) {
            try DistributedAlignmentSearch(network: network(), configuration: configuration(every: 0, patience: 2))
        }
        #expect(error.description.contains("early stopping"))
    }
}
