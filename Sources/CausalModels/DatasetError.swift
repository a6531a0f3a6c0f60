import Foundation

/// What can go wrong when generating a dataset or reading one from JSON Lines.
public enum DatasetError: Error, CustomStringConvertible, LocalizedError {
    /// A line of a JSON Lines file could not be read; lines are numbered from 1.
    case malformedLine(number: Int, reason: String)
    /// The file holds no header line.
    case missingHeader
    /// The header announces a different number of examples than the file holds.
    case countMismatch(announced: Int, found: Int)
    /// A counterfactual dataset was asked for without any intervened variable.
    case noIntervenedVariables
    /// A negative number of examples was asked for.
    case negativeCount(Int)
    /// Sampling gave up: no draw produced the example wanted.
    case samplingStalled(attempts: Int, wanted: String)

    /// The message, naming the line, count or label at fault.
    public var description: String {
        switch self {
        case .malformedLine(let number, let reason):
            "line \(number): \(reason)"
        case .missingHeader:
            "the file is empty; a dataset starts with a header line"
        case .countMismatch(let announced, let found):
            "the header announces \(announced) examples but the file holds \(found); it may be truncated"
        case .noIntervenedVariables:
            "a counterfactual dataset needs at least one intervened variable"
        case .negativeCount(let count):
            "the number of examples is \(count); expected 0 or more"
        case .samplingStalled(let attempts, let wanted):
            "gave up after \(attempts) draws without finding \(wanted); check that the intervened variables can produce it"
        }
    }

    /// The same message as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }
}
