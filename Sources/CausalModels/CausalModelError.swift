import Foundation

/// What can go wrong when building, running, sampling or encoding a causal model.
///
/// Every message names the variable, value or cycle at fault and says what was expected.
public enum CausalModelError: Error, CustomStringConvertible, LocalizedError {
    /// Two variables share a name.
    case duplicateVariable(String)
    /// A variable's domain has no value.
    case emptyDomain(variable: String, domain: Domain)
    /// A variable lists a parent that the model does not have.
    case unknownParent(variable: String, parent: String)
    /// A variable lists the same parent twice.
    case duplicateParent(variable: String, parent: String)
    /// The variables form a directed cycle; the list starts and ends with the same variable.
    case cycle([String])
    /// A variable with parents has no mechanism to compute it.
    case missingMechanism(variable: String)
    /// A variable without parents (an input) was given a mechanism.
    case mechanismOnInput(variable: String)
    /// A name that is not a variable of the model.
    case unknownVariable(String, known: [String])
    /// A value was given as an input for a variable that has parents.
    case notAnInput(String)
    /// An input variable has no value and is not intervened on.
    case missingInput(String)
    /// A value does not belong to its variable's domain.
    case valueOutsideDomain(variable: String, value: Value, domain: Domain)
    /// An assignment was asked for a variable it does not hold.
    case missingValue(variable: String, available: [String])
    /// A value has the wrong kind, say an integer where a boolean was expected.
    case typeMismatch(variable: String, value: Value, expected: String)
    /// A mechanism threw while computing its variable.
    case mechanismFailed(variable: String, underlying: any Error)
    /// Something would have to be listed that has too many values.
    case tooManyValues(of: String, count: Int, limit: Int)
    /// A feature encoding does not fit its variable.
    case invalidEncoding(variable: String, reason: String)
    /// An argument is out of its allowed range.
    case invalidArgument(name: String, value: String, expected: String)

    /// The message, naming what is at fault and what was expected.
    public var description: String {
        switch self {
        case .duplicateVariable(let name):
            "two variables are named '\(name)'; variable names must be unique"
        case .emptyDomain(let variable, let domain):
            "variable '\(variable)' has an empty domain (\(domain)); every variable needs at least one value"
        case .unknownParent(let variable, let parent):
            "variable '\(variable)' lists parent '\(parent)', which is not a variable of the model"
        case .duplicateParent(let variable, let parent):
            "variable '\(variable)' lists parent '\(parent)' twice; each parent is listed once"
        case .cycle(let names):
            "the variables form a cycle: \(names.joined(separator: " → ")); a causal model must be acyclic"
        case .missingMechanism(let variable):
            "variable '\(variable)' has parents but no mechanism; every non-input variable needs a mechanism"
        case .mechanismOnInput(let variable):
            "variable '\(variable)' has no parents, so it is an input, but it was given a mechanism; inputs take their values from the caller"
        case .unknownVariable(let name, let known):
            "'\(name)' is not a variable of the model; its variables are \(known.joined(separator: ", "))"
        case .notAnInput(let name):
            "'\(name)' has parents, so it is not an input; fix its value with an intervention instead"
        case .missingInput(let name):
            "input '\(name)' has no value; every input needs one unless it is intervened on"
        case .valueOutsideDomain(let variable, let value, let domain):
            "value \(value) of variable '\(variable)' is outside its domain; expected one of \(domain)"
        case .missingValue(let variable, let available):
            "no value for '\(variable)'; the assignment holds \(available.isEmpty ? "no variables" : available.joined(separator: ", "))"
        case .typeMismatch(let variable, let value, let expected):
            "variable '\(variable)' has value \(value), but \(expected) was expected"
        case .mechanismFailed(let variable, let underlying):
            "the mechanism of '\(variable)' failed: \(underlying)"
        case .tooManyValues(let what, let count, let limit):
            "\(what) has \(count == .max ? "more than \(Int.max)" : String(count)) values, more than the limit of \(limit)"
        case .invalidEncoding(let variable, let reason):
            "cannot encode variable '\(variable)': \(reason)"
        case .invalidArgument(let name, let value, let expected):
            "\(name) is \(value); expected \(expected)"
        }
    }

    /// The same message as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }
}
