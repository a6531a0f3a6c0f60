import Foundation

/// What can go wrong when loading a module's parameters by name; every message names the parameter.
public enum ModuleError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A value whose name is not a parameter of the module.
    case unknownParameter(name: String, validNames: [String])
    /// A parameter that was given no value.
    case missingParameter(name: String)
    /// A value whose shape differs from its parameter's.
    case parameterShapeMismatch(name: String, expected: [Int], found: [Int])
    /// Two names of one tied tensor given different values.
    case conflictingTiedValues(names: [String])

    public var description: String {
        switch self {
        case let .unknownParameter(name, validNames):
            let valid = validNames.count <= 12 ? validNames.joined(separator: ", ")
                : "\(validNames.prefix(6).joined(separator: ", ")), … (\(validNames.count) parameters)"
            return "'\(name)' is not a parameter of this module; its parameters are: \(valid.isEmpty ? "(none)" : valid)"
        case let .missingParameter(name):
            return "parameter '\(name)' was given no value"
        case let .parameterShapeMismatch(name, expected, found):
            return "parameter '\(name)' has shape \(expected), but the value given has shape \(found)"
        case let .conflictingTiedValues(names):
            return "\(names.map { "'\($0)'" }.joined(separator: " and ")) name one tied tensor but were given different values"
        }
    }

    public var errorDescription: String? { description }
}
