import Foundation

/// What can go wrong loading, saving or running a network; each message names the file or site.
public enum NetworkError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A config file that is missing, not JSON, or has a field with a wrong value.
    case invalidConfiguration(file: String, field: String, reason: String)
    /// Input rows of the wrong width.
    case inputWidthMismatch(expected: Int, found: [Int])
    /// A directory that cannot be written.
    case unwritable(path: String, reason: String)
    /// A weights file holding a NaN or an infinity: such a network cannot be trusted, so it is refused
    /// when loaded (`index` is the first bad element's row-major position, `value` its text).
    case nonFiniteWeight(file: String, tensor: String, index: Int, value: String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(file, field, reason): return "\(file): field '\(field)': \(reason)"
        case let .inputWidthMismatch(expected, found): return "the network takes input rows of width \(expected), got a tensor of shape \(found)"
        case let .unwritable(path, reason): return "\(path): cannot write: \(reason)"
        case let .nonFiniteWeight(file, tensor, index, value):
            return "\(file): tensor '\(tensor)' holds \(value) at element \(index); a network with non-finite weights is refused"
        }
    }

    public var errorDescription: String? { description }
}
