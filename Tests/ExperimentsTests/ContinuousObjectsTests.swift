import Alignment
import Experiments
import Testing

/// Hierarchical equality over continuous random objects: the labels follow the causal model, the
/// sources stand where they should, and no object repeats.
@Suite struct ContinuousObjectsTests {
    /// Whether the objects at `first` and `second` (object indices 0..3) of row `row` are equal.
    func equal(_ scalars: [Float], row: Int, _ first: Int, _ second: Int) -> Bool {
        let start = row * 16
        return Array(scalars[(start + first * 4)..<(start + first * 4 + 4)]) == Array(scalars[(start + second * 4)..<(start + second * 4 + 4)])
    }

    @Test func factualLabelsAreTheEqualityOfEqualities() throws {
        let (inputs, labels) = try ContinuousObjects.factualData(count: 2000, seed: 3)
        #expect(inputs.shape == [2000, 16])
        let scalars = inputs.scalars
        var equalPairs = 0
        for row in 0..<2000 {
            let wx = equal(scalars, row: row, 0, 1), yz = equal(scalars, row: row, 2, 3)
            equalPairs += (wx ? 1 : 0) + (yz ? 1 : 0)
            #expect(labels[row] == (wx == yz ? 1 : 0))
        }
        // Each pair is equal with probability 1/2: 2000 ± 4 standard deviations (√1000 ≈ 32).
        #expect(abs(equalPairs - 2000) < 130)
        // Continuous objects: the first objects of all rows are distinct vectors, every component in [−1, 1].
        let firsts = Set((0..<2000).map { Array(scalars[($0 * 16)..<($0 * 16 + 4)]) })
        #expect(firsts.count == 2000)
        #expect(scalars.allSatisfy { (-1...1).contains($0) })
    }

    @Test func counterfactualLabelsTakeEachIntervenedVariableFromItsSource() throws {
        for set in [["WX"], ["YZ"], ["WX", "YZ"]] {
            let data = try ContinuousObjects.counterfactuals(intervening: set, count: 400, seed: 5)
            #expect(data.name == set.joined(separator: "+") && data.count == 400)
            let base = data.baseInputs.scalars, wxSource = data.sourceInputs[0].scalars, yzSource = data.sourceInputs[1].scalars
            for row in 0..<400 {
                // A variable not intervened on takes its source from the base.
                if !set.contains("WX") { #expect(Array(wxSource[(row * 16)..<(row * 16 + 16)]) == Array(base[(row * 16)..<(row * 16 + 16)])) }
                if !set.contains("YZ") { #expect(Array(yzSource[(row * 16)..<(row * 16 + 16)]) == Array(base[(row * 16)..<(row * 16 + 16)])) }
                let wx = equal(wxSource, row: row, 0, 1), yz = equal(yzSource, row: row, 2, 3)
                #expect(data.labels[row] == (wx == yz ? 1 : 0))
                #expect(data.baseLabels[row] == (equal(base, row: row, 0, 1) == equal(base, row: row, 2, 3) ? 1 : 0))
                #expect(data.labels[row] == row % 2)
            }
        }
        #expect(throws: AlignmentError.self) { try ContinuousObjects.counterfactuals(intervening: ["W"], count: 4, seed: 0) }
    }

    @Test func theTutorialRecipeDrawsSplitsThatShareNothing() throws {
        let recipe = HierarchicalEquality.NetworkRecipe.pyveneTutorial
        #expect(recipe.objectCount == nil && recipe.trainingExamples == 1 << 20 && recipe.batchSize == 1024 && recipe.epochs == 3)
        let data = try recipe.data(trainingCount: 300, validationCount: 100, testCount: 100, seed: 1)
        #expect(data.tests.map(\.name) == ["WX", "YZ", "WX+YZ"] && data.training.count == 900)
        #expect(data.overlap.testInTraining == 0 && data.overlap.validationInTraining == 0 && data.overlap.testInValidation == 0)
        // The same seed gives the same data.
        let again = try recipe.data(trainingCount: 300, validationCount: 100, testCount: 100, seed: 1)
        #expect(again.training.baseInputs.scalars == data.training.baseInputs.scalars && again.training.labels == data.training.labels)
    }
}
