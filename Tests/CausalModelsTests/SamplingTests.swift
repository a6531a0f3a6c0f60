import CausalModels
import Randomness
import Testing

@Suite("Sampling and enumerating inputs")
struct SamplingTests {
    @Test func allInputsComeInTruthTableOrder() throws {
        let and = try CausalTask.booleanAnd().model
        #expect(try and.allInputs() == [["A": false, "B": false], ["A": false, "B": true], ["A": true, "B": false], ["A": true, "B": true]])
        let sum = try CausalTask.sumOfThree().model
        let inputs = try sum.allInputs()
        #expect(inputs.count == 1000)
        #expect(Set(inputs).count == 1000)
        #expect(inputs[123] == ["X": 1, "Y": 2, "Z": 3])
    }

    @Test func aLargeInputSpaceIsRefusedWithItsSize() throws {
        let equality = try CausalTask.hierarchicalEquality().model
        #expect(equality.inputSpaceSize == 100_000_000)
        expectError(CausalModelError.self, mentioning: ["input space", "hierarchical-equality", "100000000", "1000000"]) {
            try equality.allInputs()
        }
    }

    @Test func theSameSeedDrawsTheSameInputs() throws {
        let sum = try CausalTask.sumOfThree().model
        var first = SeededGenerator(seed: 42)
        var second = SeededGenerator(seed: 42)
        var other = SeededGenerator(seed: 43)
        let drawn = try sum.sampleInputs(count: 50, using: &first)
        #expect(try drawn == sum.sampleInputs(count: 50, using: &second))
        #expect(try drawn != sum.sampleInputs(count: 50, using: &other))
    }

    @Test func uniformSamplingCoversTheInputsEvenly() throws {
        let and = try CausalTask.booleanAnd().model
        var generator = SeededGenerator(seed: 1)
        let counts = try and.sampleInputs(count: 8000, using: &generator).reduce(into: [Assignment: Int]()) { $0[$1, default: 0] += 1 }
        #expect(counts.count == 4)
        // Each of the 4 inputs has probability 1/4: 2000 expected, standard deviation about 39.
        #expect(counts.values.allSatisfy { (1800...2200).contains($0) })
    }

    @Test func hierarchicalEqualityMakesEachPairEqualHalfTheTime() throws {
        let equality = try CausalTask.hierarchicalEquality().model
        var generator = SeededGenerator(seed: 5)
        let runs = try equality.sampleInputs(count: 4000, using: &generator).map { try equality.run(inputs: $0) }
        for variable in ["WX", "YZ", "O"] {
            let trueCount = runs.count { $0[variable] == true }
            // Probability 1/2 each: 2000 expected, standard deviation about 32.
            #expect((1850...2150).contains(trueCount), "\(variable) is true in \(trueCount) of 4000 runs")
        }
        let firstObjects = Set(runs.compactMap { $0["W"] })
        #expect(firstObjects.count > 90)
    }

    @Test func aCustomSamplerThatGivesBadInputsIsCaught() throws {
        let badSampler: InputSampler = { _ in ["A": 3] }
        let model = try CausalModel(name: "m", variables: [Variable("A", domain: .integers(0...1)), Variable("B", domain: .booleans)], inputSampler: badSampler)
        var generator = SeededGenerator(seed: 1)
        expectError(CausalModelError.self, mentioning: ["value 3", "'A'"]) { try model.sampleInput(using: &generator) }
        let incomplete = try CausalModel(name: "m", variables: [Variable("A", domain: .integers(0...3)), Variable("B", domain: .booleans)], inputSampler: badSampler)
        expectError(CausalModelError.self, mentioning: ["input 'B'"]) { try incomplete.sampleInput(using: &generator) }
    }

    @Test func aNegativeCountIsRefused() throws {
        var generator = SeededGenerator(seed: 1)
        expectError(CausalModelError.self, mentioning: ["-1", "0 or more"]) {
            try CausalTask.booleanAnd().model.sampleInputs(count: -1, using: &generator)
        }
    }
}
