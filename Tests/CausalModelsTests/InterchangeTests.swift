import CausalModels
import Testing

@Suite("Interchange interventions on a causal model")
struct InterchangeTests {
    @Test func sumWithS1FromASource() throws {
        let sum = try CausalTask.sumOfThree().model
        // Base: S1 = 1 + 2 = 3, O = 6. Source: S1 = 4 + 5 = 9. Counterfactual: O = 9 + 3 = 12.
        let run = try sum.interchange(base: ["X": 1, "Y": 2, "Z": 3], sources: ["S1": ["X": 4, "Y": 5, "Z": 0]])
        #expect(run["S1"] == 9)
        #expect(run["O"] == 12)
        #expect(run["X"] == 1)
    }

    @Test func anInputTakesItsSourceValue() throws {
        let and = try CausalTask.booleanAnd().model
        // Base A = B = true gives C = true; A from a source where A = false gives C = false.
        let run = try and.interchange(base: ["A": true, "B": true], sources: ["A": ["A": false, "B": true]])
        #expect(run.restricted(to: and.outputs) == ["C": false])
    }

    @Test func twoVariablesEachFromItsOwnSource() throws {
        let equality = try CausalTask.hierarchicalEquality(vocabularySize: 6).model
        let base: Assignment = ["W": "o1", "X": "o1", "Y": "o2", "Z": "o2"]  // WX true, YZ true, O true
        let unequal: Assignment = ["W": "o3", "X": "o4", "Y": "o5", "Z": "o5"]  // WX false, YZ true
        let equal: Assignment = ["W": "o0", "X": "o2", "Y": "o4", "Z": "o4"]  // WX false, YZ true
        // WX from `unequal` (false), YZ from `equal` (true): O = (false == true) = false.
        let mixed = try equality.interchange(base: base, sources: ["WX": unequal, "YZ": equal])
        #expect(mixed.restricted(to: ["WX", "YZ", "O"]) == ["WX": false, "YZ": true, "O": false])
        // Both from sources where the pair differs: O = (false == false) = true.
        let bothFalse = try equality.interchange(base: base, sources: ["WX": unequal, "YZ": ["W": "o0", "X": "o0", "Y": "o1", "Z": "o2"]])
        #expect(bothFalse.restricted(to: ["WX", "YZ", "O"]) == ["WX": false, "YZ": false, "O": true])
    }

    @Test func aDescendantInterventionOverridesItsAncestors() throws {
        let sum = try CausalTask.sumOfThree().model
        let run = try sum.interchange(
            base: ["X": 1, "Y": 1, "Z": 1],
            sources: ["S1": ["X": 9, "Y": 9, "Z": 0], "O": ["X": 0, "Y": 0, "Z": 4]]
        )
        #expect(run["S1"] == 18)
        #expect(run["O"] == 4)
    }

    @Test func noSourceMeansTheFactualRun() throws {
        let sum = try CausalTask.sumOfThree().model
        let base: Assignment = ["X": 2, "Y": 3, "Z": 4]
        #expect(try sum.interchange(base: base, sources: [:]) == sum.run(inputs: base))
    }

    @Test func anUnknownVariableOrABadSourceIsNamed() throws {
        let sum = try CausalTask.sumOfThree().model
        expectError(CausalModelError.self, mentioning: ["'T'"]) {
            try sum.interchange(base: ["X": 1, "Y": 1, "Z": 1], sources: ["T": ["X": 1, "Y": 1, "Z": 1]])
        }
        expectError(CausalModelError.self, mentioning: ["input 'Z'"]) {
            try sum.interchange(base: ["X": 1, "Y": 1, "Z": 1], sources: ["S1": ["X": 1, "Y": 1]])
        }
    }
}
