import CausalModels
import Testing

/// A mechanism that copies its only parent; enough for tests about the graph.
private func copy(_ parent: String) -> Mechanism {
    { parents in try parents.value(parent) }
}

@Suite("Building a causal model")
struct ModelConstructionTests {
    @Test func inputsAreParentlessAndOutputsChildless() throws {
        let model = try CausalTask.sumOfThree().model
        #expect(model.inputs == ["X", "Y", "Z"])
        #expect(model.outputs == ["O"])
        #expect(model.topologicalOrder == ["X", "Y", "Z", "S1", "O"])
    }

    @Test func declarationOrderDoesNotMatter() throws {
        let model = try CausalModel(name: "backwards", variables: [
            Variable("C", domain: .booleans, parents: ["B"], mechanism: copy("B")),
            Variable("B", domain: .booleans, parents: ["A"], mechanism: copy("A")),
            Variable("A", domain: .booleans),
        ])
        #expect(model.topologicalOrder == ["A", "B", "C"])
        #expect(try model.run(inputs: ["A": true])["C"] == true)
    }

    @Test func anUnknownParentIsNamed() {
        expectError(CausalModelError.self, mentioning: ["'C'", "'D'", "not a variable"]) {
            try CausalModel(name: "m", variables: [
                Variable("A", domain: .booleans),
                Variable("C", domain: .booleans, parents: ["A", "D"], mechanism: copy("A")),
            ])
        }
    }

    @Test func aCycleIsNamedInTheDirectionOfItsArrows() {
        expectError(CausalModelError.self, mentioning: ["cycle", "A → B → C → A"]) {
            try CausalModel(name: "m", variables: [
                Variable("In", domain: .booleans),
                Variable("A", domain: .booleans, parents: ["C"], mechanism: copy("C")),
                Variable("B", domain: .booleans, parents: ["A"], mechanism: copy("A")),
                Variable("C", domain: .booleans, parents: ["B", "In"], mechanism: copy("B")),
                Variable("D", domain: .booleans, parents: ["C"], mechanism: copy("C")),
            ])
        }
    }

    @Test func aSelfLoopIsACycle() {
        expectError(CausalModelError.self, mentioning: ["cycle", "S → S"]) {
            try CausalModel(name: "m", variables: [Variable("S", domain: .booleans, parents: ["S"], mechanism: copy("S"))])
        }
    }

    @Test func aNonInputWithoutMechanismIsNamed() {
        expectError(CausalModelError.self, mentioning: ["'C'", "no mechanism"]) {
            try CausalModel(name: "m", variables: [
                Variable("A", domain: .booleans),
                Variable("C", domain: .booleans, parents: ["A"]),
            ])
        }
    }

    @Test func anInputWithAMechanismIsNamed() {
        expectError(CausalModelError.self, mentioning: ["'A'", "input", "mechanism"]) {
            try CausalModel(name: "m", variables: [Variable("A", domain: .booleans) { _ in true }])
        }
    }

    @Test func aDuplicateNameIsNamed() {
        expectError(CausalModelError.self, mentioning: ["'A'", "unique"]) {
            try CausalModel(name: "m", variables: [Variable("A", domain: .booleans), Variable("A", domain: .integers(0...1))])
        }
    }

    @Test func aRepeatedParentIsNamed() {
        expectError(CausalModelError.self, mentioning: ["'C'", "'A'", "twice"]) {
            try CausalModel(name: "m", variables: [
                Variable("A", domain: .booleans),
                Variable("C", domain: .booleans, parents: ["A", "A"], mechanism: copy("A")),
            ])
        }
    }

    @Test(arguments: [Domain.symbols([]), .vectors(length: 0, of: .booleans), .vectors(length: 2, of: .symbols([]))])
    func anEmptyDomainIsNamed(domain: Domain) {
        expectError(CausalModelError.self, mentioning: ["'E'", "empty domain", domain.description]) {
            try CausalModel(name: "m", variables: [Variable("E", domain: domain)])
        }
    }

    @Test func anUnknownVariableIsReportedWithTheKnownOnes() throws {
        let model = try CausalTask.booleanAnd().model
        expectError(CausalModelError.self, mentioning: ["'Q'", "A, B, C"]) { try model.variable("Q") }
    }
}
