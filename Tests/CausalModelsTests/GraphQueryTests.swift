import CausalModels
import Testing

@Suite("Questions about the graph")
struct GraphQueryTests {
    /// A → B → D, A → C → D, and an input E → D.
    let diamond: CausalModel
    let sum: CausalModel

    init() throws {
        let anyOf: Mechanism = { parents in .bool(parents.values.values.contains(true)) }
        diamond = try CausalModel(name: "diamond", variables: [
            Variable("A", domain: .booleans),
            Variable("B", domain: .booleans, parents: ["A"], mechanism: anyOf),
            Variable("C", domain: .booleans, parents: ["A"], mechanism: anyOf),
            Variable("E", domain: .booleans),
            Variable("D", domain: .booleans, parents: ["B", "C", "E"], mechanism: anyOf),
        ])
        sum = try CausalTask.sumOfThree().model
    }

    @Test func descendantsAndAncestors() throws {
        #expect(try sum.descendants(of: "X") == ["S1", "O"])
        #expect(try sum.descendants(of: "O") == [])
        #expect(try sum.ancestors(of: "O") == ["X", "Y", "Z", "S1"])
        #expect(try sum.ancestors(of: "S1") == ["X", "Y"])
        #expect(try sum.ancestors(of: "Z") == [])
        #expect(try diamond.descendants(of: "A") == ["B", "C", "D"])
        #expect(try diamond.ancestors(of: "D") == ["A", "B", "C", "E"])
    }

    @Test func parentsAndChildren() throws {
        #expect(try diamond.children(of: "A") == ["B", "C"])
        #expect(try diamond.parents(of: "D") == ["B", "C", "E"])
    }

    @Test func everyDirectedPath() throws {
        #expect(try diamond.paths(from: "A", to: "D") == [["A", "B", "D"], ["A", "C", "D"]])
        #expect(try diamond.paths(from: "E", to: "D") == [["E", "D"]])
        #expect(try diamond.paths(from: "B", to: "C") == [])
        #expect(try diamond.paths(from: "D", to: "A") == [])
        #expect(try diamond.paths(from: "B", to: "B") == [["B"]])
        #expect(try sum.paths(from: "X", to: "O") == [["X", "S1", "O"]])
    }

    @Test func whetherAnInterventionCanChangeAnOutput() throws {
        #expect(try sum.intervention(on: "S1", canChange: "O"))
        #expect(try sum.intervention(on: "O", canChange: "O"))
        #expect(try !sum.intervention(on: "Z", canChange: "S1"))
        #expect(try !sum.intervention(on: "O", canChange: "X"))
    }

    @Test func unknownNamesAreRefused() {
        expectError(CausalModelError.self, mentioning: ["'Q'"]) { try sum.descendants(of: "Q") }
        expectError(CausalModelError.self, mentioning: ["'Q'"]) { try sum.ancestors(of: "Q") }
        expectError(CausalModelError.self, mentioning: ["'Q'"]) { try sum.paths(from: "Q", to: "O") }
        expectError(CausalModelError.self, mentioning: ["'Q'"]) { try sum.paths(from: "X", to: "Q") }
        expectError(CausalModelError.self, mentioning: ["'Q'"]) { try sum.intervention(on: "X", canChange: "Q") }
        expectError(CausalModelError.self, mentioning: ["'Q'"]) { try sum.intervention(on: "Q", canChange: "O") }
    }
}
