import Foundation

/// What can go wrong when describing, placing, saving or loading ReFT interventions, or reading
/// their training data. Every message names what was wrong (the text, file, line or field) and
/// what was expected.
public enum ReFTError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A positions text that is not `f<n>`, `l<n>` or `f<n>+l<m>`.
    case invalidPositions(text: String, reason: String)
    /// A layers text that is not `all` or a list of layer indices within the model.
    case invalidLayers(text: String, reason: String)
    /// An intervention's description that cannot be built (rank, width, dropout, kind).
    case invalidIntervention(String)
    /// A batch, prompt length or placement that does not fit.
    case invalidPlacement(String)
    /// A problem with one field of a file (an adapter's `adapter.json`, a safetensors tensor).
    case invalidFile(file: String, field: String, reason: String)
    /// A file that cannot be read or written.
    case fileAccess(file: String, reason: String)
    /// A problem with one line of a JSON Lines file (`line` counts from 1).
    case invalidLine(file: String, line: Int, reason: String)
    /// A data file that holds nothing to train on.
    case unusableData(file: String, reason: String)
    /// Training met a NaN or infinite loss (`step` counts optimizer steps from 1, `epoch` from 1).
    case nonFiniteLoss(epoch: Int, step: Int, loss: Float)
    /// `--resume` found a training state that does not fit this run.
    case cannotResume(directory: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidPositions(text, reason):
            return "positions '\(text)': \(reason); expected f<n>, l<n> or f<n>+l<m> with n, m ≥ 1 (e.g. f1+l1, l3)"
        case let .invalidLayers(text, reason):
            return "layers '\(text)': \(reason); expected 'all' or a comma-separated list of layer indices such as 2,4,6"
        case let .invalidIntervention(reason):
            return "invalid intervention: \(reason)"
        case let .invalidPlacement(reason):
            return "cannot place the interventions: \(reason)"
        case let .invalidFile(file, field, reason):
            return "\(file): field '\(field)': \(reason)"
        case let .fileAccess(file, reason):
            return "\(file): \(reason)"
        case let .invalidLine(file, line, reason):
            return "\(file):\(line): \(reason)"
        case let .unusableData(file, reason):
            return "\(file): \(reason)"
        case let .nonFiniteLoss(epoch, step, loss):
            return "training stopped: the loss is \(loss) at step \(step) (epoch \(epoch)); the adapter saved after the last finished epoch is kept. Try a lower learning rate."
        case let .cannotResume(directory, reason):
            return "cannot resume from \(directory): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
