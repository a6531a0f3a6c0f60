import Foundation

extension CausalTask {
    /// The sum of three digits: inputs `X`, `Y`, `Z` in 0...9, intermediate `S1 = X + Y` in 0...18,
    /// output `O = S1 + Z` in 0...27.
    ///
    /// Each digit is one-hot over its ten values (30 features); the class of `O=k` is `k`.
    public static func sumOfThree() throws -> CausalTask {
        let digit = Domain.integers(0...9)
        let model = try CausalModel(name: "sum-of-three", variables: [
            Variable("X", domain: digit),
            Variable("Y", domain: digit),
            Variable("Z", domain: digit),
            Variable("S1", domain: .integers(0...18), parents: ["X", "Y"]) { parents in
                .int(try parents.int("X") + parents.int("Y"))
            },
            Variable("O", domain: .integers(0...27), parents: ["S1", "Z"]) { parents in
                .int(try parents.int("S1") + parents.int("Z"))
            },
        ])
        return CausalTask(model: model, encoding: try NetworkEncoding(model: model), summary: "O = (X + Y) + Z over digits X, Y, Z")
    }
}
