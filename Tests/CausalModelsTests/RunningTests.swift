import CausalModels
import Testing

@Suite("Running a causal model")
struct RunningTests {
    let sum: CausalModel
    let and: CausalModel

    init() throws {
        sum = try CausalTask.sumOfThree().model
        and = try CausalTask.booleanAnd().model
    }

    @Test func aRunComputesEveryVariable() throws {
        let run = try sum.run(inputs: ["X": 1, "Y": 2, "Z": 3])
        #expect(run == ["X": 1, "Y": 2, "Z": 3, "S1": 3, "O": 6])
    }

    @Test func anInterventionOnAnIntermediateVariableCutsItsMechanism() throws {
        let run = try sum.run(inputs: ["X": 9, "Y": 9, "Z": 3], interventions: ["S1": 0])
        #expect(run["S1"] == 0)
        #expect(run["O"] == 3)
    }

    @Test func anInterventionOnAnInputReplacesItsValueAndNeedNotBeGiven() throws {
        #expect(try and.run(inputs: ["A": false, "B": true], interventions: ["A": true])["C"] == true)
        #expect(try and.run(inputs: ["B": true], interventions: ["A": true])["C"] == true)
    }

    @Test func anInterventionOnAnOutputFixesIt() throws {
        #expect(try and.run(inputs: ["A": true, "B": true], interventions: ["C": false])["C"] == false)
    }

    @Test func aMissingInputIsNamed() {
        expectError(CausalModelError.self, mentioning: ["input 'B'", "no value"]) {
            try and.run(inputs: ["A": true])
        }
    }

    @Test func anInputOutsideItsDomainIsNamedWithItsValue() {
        expectError(CausalModelError.self, mentioning: ["value 10", "'X'", "integers 0...9"]) {
            try sum.run(inputs: ["X": 10, "Y": 0, "Z": 0])
        }
        expectError(CausalModelError.self, mentioning: ["value true", "'Y'", "integers 0...9"]) {
            try sum.run(inputs: ["X": 1, "Y": true, "Z": 0])
        }
    }

    @Test func anInterventionOutsideItsDomainIsNamedWithItsValue() {
        expectError(CausalModelError.self, mentioning: ["value 19", "'S1'", "integers 0...18"]) {
            try sum.run(inputs: ["X": 1, "Y": 1, "Z": 0], interventions: ["S1": 19])
        }
    }

    @Test func aComputedValueOutsideItsDomainIsNamed() throws {
        let narrow = try CausalModel(name: "narrow", variables: [
            Variable("X", domain: .integers(0...9)),
            Variable("Double", domain: .integers(0...9), parents: ["X"]) { .int(try $0.int("X") * 2) },
        ])
        expectError(CausalModelError.self, mentioning: ["value 14", "'Double'", "integers 0...9"]) {
            try narrow.run(inputs: ["X": 7])
        }
    }

    @Test func aMechanismReadingTheWrongKindIsReportedWithItsVariable() throws {
        let confused = try CausalModel(name: "confused", variables: [
            Variable("A", domain: .integers(0...1)),
            Variable("B", domain: .booleans, parents: ["A"]) { .bool(try $0.bool("A")) },
        ])
        expectError(CausalModelError.self, mentioning: ["mechanism of 'B'", "'A' has value 1", "a boolean"]) {
            try confused.run(inputs: ["A": 1])
        }
    }

    @Test func aMechanismReadingANonParentIsReported() throws {
        let peeking = try CausalModel(name: "peeking", variables: [
            Variable("A", domain: .booleans),
            Variable("B", domain: .booleans),
            Variable("C", domain: .booleans, parents: ["A"]) { .bool(try $0.bool("B")) },
        ])
        expectError(CausalModelError.self, mentioning: ["mechanism of 'C'", "no value for 'B'", "holds A"]) {
            try peeking.run(inputs: ["A": true, "B": true])
        }
    }

    @Test func givingANonInputOrAnUnknownNameIsRefused() {
        expectError(CausalModelError.self, mentioning: ["'S1'", "not an input", "intervention"]) {
            try sum.run(inputs: ["X": 1, "Y": 1, "Z": 1, "S1": 2])
        }
        expectError(CausalModelError.self, mentioning: ["'Q'", "not a variable"]) {
            try and.run(inputs: ["A": true, "B": true, "Q": true])
        }
        expectError(CausalModelError.self, mentioning: ["'Q'", "not a variable"]) {
            try and.run(inputs: ["A": true, "B": true], interventions: ["Q": true])
        }
    }
}
