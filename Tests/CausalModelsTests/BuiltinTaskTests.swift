import CausalModels
import Testing

@Suite("The built-in tasks")
struct BuiltinTaskTests {
    @Test func booleanAndTruthTable() throws {
        let model = try CausalTask.booleanAnd().model
        let table = try model.allInputs().map { try model.run(inputs: $0) }
        #expect(table == [
            ["A": false, "B": false, "C": false],
            ["A": false, "B": true, "C": false],
            ["A": true, "B": false, "C": false],
            ["A": true, "B": true, "C": true],
        ])
    }

    @Test func sumOfThreeOverEveryInput() throws {
        let model = try CausalTask.sumOfThree().model
        for input in try model.allInputs() {
            let (x, y, z) = (try input.int("X"), try input.int("Y"), try input.int("Z"))
            #expect(try model.run(inputs: input).restricted(to: ["S1", "O"]) == ["S1": .int(x + y), "O": .int(x + y + z)])
        }
    }

    @Test(arguments: [
        (["o0", "o0", "o1", "o1"], true),   // AABB: both pairs equal
        (["o0", "o1", "o2", "o3"], true),   // ABCD: both pairs differ
        (["o0", "o1", "o2", "o2"], false),  // ABCC
        (["o1", "o1", "o2", "o3"], false),  // BBCD
        (["o2", "o2", "o2", "o2"], true),   // AAAA
    ])
    func hierarchicalEqualityWorkedExamples(objects: [String], label: Bool) throws {
        let model = try CausalTask.hierarchicalEquality().model
        let input = Assignment(Dictionary(uniqueKeysWithValues: zip(["W", "X", "Y", "Z"], objects.map(Value.symbol))))
        #expect(try model.run(inputs: input)["O"] == .bool(label))
    }

    @Test func hierarchicalEqualityOverEveryInputOfASmallVocabulary() throws {
        let model = try CausalTask.hierarchicalEquality(vocabularySize: 3).model
        let inputs = try model.allInputs()
        #expect(inputs.count == 81)
        for input in inputs {
            let wx = try input.symbol("W") == input.symbol("X")
            let yz = try input.symbol("Y") == input.symbol("Z")
            #expect(try model.run(inputs: input).restricted(to: ["WX", "YZ", "O"]) == ["WX": .bool(wx), "YZ": .bool(yz), "O": .bool(wx == yz)])
        }
    }

    @Test func hierarchicalEqualityRefusesBadParameters() {
        expectError(CausalModelError.self, mentioning: ["vocabulary size", "1", "2 or more"]) {
            try CausalTask.hierarchicalEquality(vocabularySize: 1)
        }
        expectError(CausalModelError.self, mentioning: ["embedding dimension", "0"]) {
            try CausalTask.hierarchicalEquality(embeddingDimension: 0)
        }
    }
}
