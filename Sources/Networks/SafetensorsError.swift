import Foundation

/// What can be wrong with a safetensors file; every message names the file, and the tensor when one is at fault.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The file could not be read or written.
    case unreadable(file: String, reason: String)
    /// The 8-byte header length or the header itself is cut short or out of bounds.
    case truncated(file: String, reason: String)
    /// The header is not the JSON object safetensors specifies.
    case invalidHeader(file: String, reason: String)
    /// A tensor's entry is inconsistent: its offsets, shape and dtype do not agree, or it leaves the data.
    case invalidTensor(file: String, tensor: String, reason: String)
    /// A dtype this reader does not convert.
    case unsupportedDType(file: String, tensor: String, dtype: String)
    /// A tensor that the caller needs is not in the file.
    case missingTensor(file: String, tensor: String)
    /// A tensor whose shape is not the one the caller needs.
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    /// A sharded checkpoint's `model.safetensors.index.json` that is malformed or disagrees with
    /// its shards (a shard missing, a tensor not where the index says, a tensor in two shards).
    case invalidIndex(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot be read: \(reason)"
        case let .truncated(file, reason): return "\(file): not a safetensors file (truncated): \(reason)"
        case let .invalidHeader(file, reason): return "\(file): invalid safetensors header: \(reason)"
        case let .invalidTensor(file, tensor, reason): return "\(file): tensor '\(tensor)': \(reason)"
        case let .unsupportedDType(file, tensor, dtype):
            return "\(file): tensor '\(tensor)' has dtype \(dtype); supported: F32, F16, BF16 (as Float32) and I64, I32 (as integers)"
                + (SafetensorsDType(rawValue: dtype) == nil ? "; \(dtype) is not a safetensors dtype" : "")
        case let .missingTensor(file, tensor): return "\(file): tensor '\(tensor)' is missing"
        case let .shapeMismatch(file, tensor, expected, found):
            return "\(file): tensor '\(tensor)' has shape \(found), expected \(expected)"
        case let .invalidIndex(file, reason): return "\(file): invalid sharded checkpoint index: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
