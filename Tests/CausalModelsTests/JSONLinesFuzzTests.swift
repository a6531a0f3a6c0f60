import CausalModels
import Foundation
import FuzzSupport
import Testing

/// Seeded mutations of dataset files in JSON Lines: each reads or throws a `DatasetError`, never traps.
@Suite("JSON Lines dataset fuzz")
struct JSONLinesFuzzTests {
    @Test("10,000 seeded mutations of counterfactual and factual datasets: a dataset or a DatasetError, never a crash")
    func mutations() throws {
        let model = try CausalTask.hierarchicalEquality(vocabularySize: 4).model
        let counterfactual = try CounterfactualDataset(sampling: model, intervening: ["WX", "YZ"], count: 3, seed: 5,
                                                       options: CounterfactualOptions(balancesLabels: true))
        let factual = try FactualDataset(sampling: model, count: 3, seed: 6)
        let bases = [[UInt8](try counterfactual.jsonLines()), [UInt8](try factual.jsonLines())]
        var trial = 0
        let outcome = fuzz(bases, count: 10_000, seed: 9, isExpected: { $0 is DatasetError }) { bytes in
            defer { trial += 1 }
            // Mutants of base 0 (even trials) are read as counterfactual; every fifth pair is read as the other kind.
            if (trial % 2 == 0) != (trial % 10 >= 8) {
                let read = try CounterfactualDataset(jsonLines: Data(bytes))
                _ = try read.jsonLines()
            } else {
                let read = try FactualDataset(jsonLines: Data(bytes))
                _ = try read.jsonLines()
            }
        }
        #expect(outcome.unexpected.isEmpty, "\(outcome.unexpected)")
        #expect(outcome.accepted + outcome.refused == 10_000)
        #expect(outcome.accepted > 100 && outcome.refused > 5_000, "\(outcome)")
    }
}
