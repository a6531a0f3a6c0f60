import Foundation

/// How a variable's value follows from its parents' values.
///
/// The mechanism receives an assignment holding exactly the variable's parents and returns the
/// variable's value: `{ parents in .bool(try parents.bool("A") && parents.bool("B")) }`. A mechanism
/// may throw (the typed accessors of `Assignment` do on a missing or mistyped value); the model
/// reports the error together with the variable's name.
public typealias Mechanism = @Sendable (_ parents: Assignment) throws -> Value

/// One named variable of a causal model: its domain, its parents, and the mechanism computing it.
///
/// A variable without parents is an input: it takes its value from the caller and has no mechanism.
public struct Variable: Sendable {
    /// The name, unique within the model.
    public let name: String
    /// The values the variable can take.
    public let domain: Domain
    /// The names of the variables it is computed from, in the order the mechanism is written for.
    public let parents: [String]
    /// How the value follows from the parents' values; `nil` for inputs.
    public let mechanism: Mechanism?

    /// Creates a variable; leave out `parents` and `mechanism` for an input.
    ///
    /// Consistency (known parents, a mechanism exactly when there are parents) is checked when the
    /// variable is put into a `CausalModel`.
    public init(_ name: String, domain: Domain, parents: [String] = [], mechanism: Mechanism? = nil) {
        self.name = name
        self.domain = domain
        self.parents = parents
        self.mechanism = mechanism
    }

    /// Whether the variable is an input, that is has no parents.
    public var isInput: Bool { parents.isEmpty }
}
