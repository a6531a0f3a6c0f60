import Foundation

/// One input of a causal model and the outputs the model gives it.
public struct FactualExample: Codable, Hashable, Sendable {
    /// A value for every input variable.
    public var input: Assignment
    /// The value of every output variable on `input`.
    public var output: Assignment

    /// Creates an example from an input and its outputs.
    public init(input: Assignment, output: Assignment) {
        self.input = input
        self.output = output
    }
}

/// One interchange intervention on a causal model: a base input, a source input for each
/// intervened variable, and the outputs without and with the intervention.
///
/// The keys of `sources` say which variables were intervened on. For a network, the
/// counterfactual output is the training label; the base output tells whether the intervention
/// changed it.
public struct CounterfactualExample: Codable, Hashable, Sendable {
    /// The input the counterfactual run starts from.
    public var base: Assignment
    /// For each intervened variable, the input whose run provides its value.
    public var sources: [String: Assignment]
    /// The outputs on `base` without intervention.
    public var baseOutput: Assignment
    /// The outputs on `base` when every intervened variable takes its value under its source.
    public var counterfactualOutput: Assignment

    /// Creates an example from its inputs and both outputs.
    public init(base: Assignment, sources: [String: Assignment], baseOutput: Assignment, counterfactualOutput: Assignment) {
        self.base = base
        self.sources = sources
        self.baseOutput = baseOutput
        self.counterfactualOutput = counterfactualOutput
    }

    /// Whether the intervention changed the outputs; only such examples make an IIA meaningful.
    public var changesOutput: Bool { counterfactualOutput != baseOutput }
}
