import Foundation
import Randomness

extension CausalModel {
    /// Draws one input assignment from the model's input distribution (uniform and independent
    /// per input unless the model was given its own sampler).
    ///
    /// - Throws: `CausalModelError` when a custom sampler returns an invalid assignment.
    public func sampleInput(using generator: inout SeededGenerator) throws -> Assignment {
        guard let inputSampler else {
            var input = Assignment()
            for variable in variables where variable.isInput {
                input[variable.name] = variable.domain.randomValue(using: &generator)
            }
            return input
        }
        let input = try inputSampler(&generator)
        try checkGivenInputs(input)
        if let missing = inputs.first(where: { input[$0] == nil }) {
            throw CausalModelError.missingInput(missing)
        }
        return input
    }

    /// Draws `count` input assignments, one after the other from `generator`.
    ///
    /// - Throws: `CausalModelError.invalidArgument` for a negative count.
    public func sampleInputs(count: Int, using generator: inout SeededGenerator) throws -> [Assignment] {
        guard count >= 0 else {
            throw CausalModelError.invalidArgument(name: "the number of inputs", value: "\(count)", expected: "0 or more")
        }
        return try (0..<count).map { _ in try sampleInput(using: &generator) }
    }
}
