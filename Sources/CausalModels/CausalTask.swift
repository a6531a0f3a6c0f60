import Foundation

/// A causal model ready to be aligned with a network: the model, how its inputs and outputs are
/// encoded for the network, and a one-line summary for people.
///
/// The built-in tasks are `booleanAnd()`, `sumOfThree()` and `hierarchicalEquality(…)`.
public struct CausalTask: Sendable {
    /// The causal model, the hypothesis tested against the network.
    public let model: CausalModel
    /// How the model's inputs become features and its outputs classes.
    public let encoding: NetworkEncoding
    /// One line saying what the task computes.
    public let summary: String

    /// Pairs a model with its encoding.
    public init(model: CausalModel, encoding: NetworkEncoding, summary: String) {
        self.model = model
        self.encoding = encoding
        self.summary = summary
    }
}
