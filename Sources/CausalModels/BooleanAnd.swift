import Foundation

extension CausalTask {
    /// Boolean AND: inputs `A` and `B`, output `C = A ∧ B`.
    ///
    /// Each input is one binary feature (2 features); the output classes are `C=false` (0) and
    /// `C=true` (1).
    public static func booleanAnd() throws -> CausalTask {
        let model = try CausalModel(name: "boolean-and", variables: [
            Variable("A", domain: .booleans),
            Variable("B", domain: .booleans),
            Variable("C", domain: .booleans, parents: ["A", "B"]) { parents in
                .bool(try parents.bool("A") && parents.bool("B"))
            },
        ])
        return CausalTask(model: model, encoding: try NetworkEncoding(model: model), summary: "C = A ∧ B over booleans A, B")
    }
}
