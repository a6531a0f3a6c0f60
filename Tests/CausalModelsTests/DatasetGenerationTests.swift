import CausalModels
import Foundation
import Testing

@Suite("Generating datasets")
struct DatasetGenerationTests {
    let and: CausalModel
    let sum: CausalModel
    let equality: CausalModel

    init() throws {
        and = try CausalTask.booleanAnd().model
        sum = try CausalTask.sumOfThree().model
        equality = try CausalTask.hierarchicalEquality().model
    }

    @Test func factualExamplesHoldTheModelsOutputs() throws {
        let dataset = try FactualDataset(sampling: sum, count: 100, seed: 9)
        #expect(dataset.examples.count == 100)
        #expect(dataset.model == "sum-of-three")
        for example in dataset.examples {
            #expect(try example.output == ["O": .int(example.input.int("X") + example.input.int("Y") + example.input.int("Z"))])
        }
        #expect(try dataset == FactualDataset(sampling: sum, count: 100, seed: 9))
    }

    @Test func counterfactualExamplesHoldTheirSourcesAndBothOutputs() throws {
        let dataset = try CounterfactualDataset(sampling: equality, intervening: ["WX", "YZ"], count: 200, seed: 4)
        #expect(dataset.intervenedVariables == ["WX", "YZ"])
        for example in dataset.examples {
            #expect(Set(example.sources.keys) == ["WX", "YZ"])
            #expect(try example.baseOutput == equality.run(inputs: example.base).restricted(to: ["O"]))
            #expect(try example.counterfactualOutput == equality.interchange(base: example.base, sources: example.sources).restricted(to: ["O"]))
        }
    }

    @Test func theSameSeedGivesTheSameBytes() throws {
        let options = CounterfactualOptions(balancesLabels: true, keepsUnchangedExamples: false)
        let first = try CounterfactualDataset(sampling: sum, intervening: ["S1"], count: 56, seed: 11, options: options)
        let second = try CounterfactualDataset(sampling: sum, intervening: ["S1"], count: 56, seed: 11, options: options)
        let other = try CounterfactualDataset(sampling: sum, intervening: ["S1"], count: 56, seed: 12, options: options)
        #expect(try first.jsonLines() == second.jsonLines())
        #expect(try first.jsonLines() != other.jsonLines())
    }

    @Test func balancedLabelsAppearEquallyOften() throws {
        let balanced = CounterfactualOptions(balancesLabels: true)
        let sums = try CounterfactualDataset(sampling: sum, intervening: ["S1"], count: 280, seed: 3, options: balanced)
        #expect(sums.labelCounts.count == 28)
        #expect(sums.labelCounts.values.allSatisfy { $0 == 10 })
        let ands = try CounterfactualDataset(sampling: and, intervening: ["A"], count: 301, seed: 3, options: balanced)
        #expect(Set(ands.labelCounts.values) == [150, 151])
        let equalities = try CounterfactualDataset(sampling: equality, intervening: ["WX"], count: 200, seed: 3, options: balanced)
        #expect(equalities.labelCounts == [["O": false]: 100, ["O": true]: 100])
    }

    @Test func withoutBalancingLabelsFollowTheModel() throws {
        // C = A ∧ B with A from a source: true with probability 1/4.
        let ands = try CounterfactualDataset(sampling: and, intervening: ["A"], count: 4000, seed: 8)
        let trueCount = ands.labelCounts[["C": true]] ?? 0
        #expect((900...1100).contains(trueCount))
    }

    @Test func theChangedFractionCountsExamplesWhoseLabelMoved() throws {
        // The label changes when A differs between base and source (1/2) and B is true (1/2): 1/4.
        let ands = try CounterfactualDataset(sampling: and, intervening: ["A"], count: 4000, seed: 2)
        #expect(abs(ands.changedFraction - 0.25) < 0.03)
        let changed = ands.examples.count { $0.counterfactualOutput != $0.baseOutput }
        #expect(ands.changedFraction == Double(changed) / 4000)
        let handMade = CounterfactualDataset(model: "and", seed: 0, intervenedVariables: ["A"], options: CounterfactualOptions(), examples: [
            CounterfactualExample(base: ["A": true, "B": true], sources: ["A": ["A": false, "B": true]], baseOutput: ["C": true], counterfactualOutput: ["C": false]),
            CounterfactualExample(base: ["A": true, "B": false], sources: ["A": ["A": false, "B": true]], baseOutput: ["C": false], counterfactualOutput: ["C": false]),
        ])
        #expect(handMade.changedFraction == 0.5)
    }

    @Test func unchangedExamplesCanBeDropped() throws {
        let options = CounterfactualOptions(keepsUnchangedExamples: false)
        let ands = try CounterfactualDataset(sampling: and, intervening: ["A"], count: 200, seed: 6, options: options)
        #expect(ands.examples.allSatisfy { $0.changesOutput })
        #expect(ands.changedFraction == 1)
        let balancedAndChanged = try CounterfactualDataset(
            sampling: equality, intervening: ["YZ"], count: 100, seed: 6,
            options: CounterfactualOptions(balancesLabels: true, keepsUnchangedExamples: false)
        )
        #expect(balancedAndChanged.changedFraction == 1)
        #expect(Set(balancedAndChanged.labelCounts.values) == [50])
    }

    @Test func anInterventionThatCannotChangeTheLabelStallsWithAClearError() throws {
        let ignoring = try CausalModel(name: "ignoring", variables: [
            Variable("A", domain: .booleans),
            Variable("C", domain: .booleans, parents: ["A"]) { _ in true },
        ])
        expectError(DatasetError.self, mentioning: ["500 draws", "intervention on A changes"]) {
            try CounterfactualDataset(
                sampling: ignoring, intervening: ["A"], count: 1, seed: 1,
                options: CounterfactualOptions(keepsUnchangedExamples: false, maximumDrawsPerExample: 500)
            )
        }
        expectError(DatasetError.self, mentioning: ["counterfactual output C=false"]) {
            try CounterfactualDataset(
                sampling: ignoring, intervening: ["A"], count: 2, seed: 1,
                options: CounterfactualOptions(balancesLabels: true, maximumDrawsPerExample: 500)
            )
        }
    }

    @Test func badRequestsAreRefused() throws {
        expectError(DatasetError.self, mentioning: ["at least one intervened variable"]) {
            try CounterfactualDataset(sampling: and, intervening: [], count: 10, seed: 1)
        }
        expectError(DatasetError.self, mentioning: ["-5", "0 or more"]) {
            try CounterfactualDataset(sampling: and, intervening: ["A"], count: -5, seed: 1)
        }
        expectError(DatasetError.self, mentioning: ["-5"]) { try FactualDataset(sampling: and, count: -5, seed: 1) }
        expectError(CausalModelError.self, mentioning: ["'Q'"]) {
            try CounterfactualDataset(sampling: and, intervening: ["Q"], count: 10, seed: 1)
        }
        expectError(CausalModelError.self, mentioning: ["A, A", "each variable once"]) {
            try CounterfactualDataset(sampling: and, intervening: ["A", "A"], count: 10, seed: 1)
        }
    }
}
