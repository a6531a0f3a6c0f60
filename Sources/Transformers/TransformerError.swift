import Foundation

/// What can go wrong reading, building or running a transformer; every message names the file,
/// field, tensor, site or position and what was expected.
public enum TransformerError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A `config.json` that cannot be read or is not a JSON object.
    case unreadableConfiguration(file: String, reason: String)
    /// A `model_type` this package does not implement.
    case unsupportedModelType(file: String, modelType: String, supported: [String])
    /// A required field that is absent from `config.json`.
    case missingField(file: String, field: String)
    /// A field whose value is not valid (wrong type, out of range, inconsistent with another).
    case invalidField(file: String, field: String, reason: String)
    /// A weight the checkpoint does not hold.
    case missingWeight(file: String, tensor: String)
    /// A weight whose shape differs from what the configuration implies.
    case weightShapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    /// Token ids, masks or positions that do not fit the model or each other.
    case invalidInput(String)
    /// A position outside the sequence, for logits or for collection at a site.
    case positionOutOfRange(what: String, example: Int, position: Int, length: Int)
    /// A loss that became NaN or infinite during training.
    case nonFiniteLoss(step: Int, loss: Float)

    /// The message, naming what is at fault and what was expected.
    public var description: String {
        switch self {
        case let .unreadableConfiguration(file, reason):
            return "\(file): cannot read the configuration: \(reason)"
        case let .unsupportedModelType(file, modelType, supported):
            return "\(file): model_type '\(modelType)' is not supported (supported: \(supported.joined(separator: ", ")))"
        case let .missingField(file, field):
            return "\(file): the required field '\(field)' is missing"
        case let .invalidField(file, field, reason):
            return "\(file): field '\(field)' is not valid: \(reason)"
        case let .missingWeight(file, tensor):
            return "\(file): the weight '\(tensor)' is missing"
        case let .weightShapeMismatch(file, tensor, expected, found):
            return "\(file): the weight '\(tensor)' has shape \(found), expected \(expected)"
        case let .invalidInput(reason):
            return "invalid input: \(reason)"
        case let .positionOutOfRange(what, example, position, length):
            return "\(what): position \(position) of example \(example) is outside the valid range 0..<\(length)"
        case let .nonFiniteLoss(step, loss):
            return "training diverged: the loss at step \(step) is \(loss)"
        }
    }

    /// The same message, for `localizedDescription`.
    public var errorDescription: String? { description }
}
