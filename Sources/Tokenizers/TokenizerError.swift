/// Why a `tokenizer.json` could not be read, or an encode/decode request could not be honoured.
///
/// Every case names where the problem is: the file (its `origin`), the JSON field path (like
/// `model.merges[12]`), and what was expected instead.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The bytes are not valid JSON; `offset` is the byte position where reading failed.
    case malformedJSON(origin: String, offset: Int, reason: String)
    /// A field is missing, has the wrong JSON type, or holds a value that does not fit.
    case invalidField(origin: String, field: String, reason: String)
    /// The file asks for a component (model, normalizer, pre-tokenizer, split pattern, post-processor, decoder,
    /// option) this tokenizer does not implement; it is refused rather than half-applied.
    case unsupported(origin: String, field: String, component: String)
    /// A token id passed to `decode` that names no token.
    case unknownID(id: Int, vocabularySize: Int)
    /// The file could not be read at all.
    case unreadableFile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .malformedJSON(origin, offset, reason):
            return "\(origin): not valid JSON at byte \(offset): \(reason)"
        case let .invalidField(origin, field, reason):
            return "\(origin): field `\(field)`: \(reason)"
        case let .unsupported(origin, field, component):
            return "\(origin): field `\(field)`: unsupported \(component)"
        case let .unknownID(id, vocabularySize):
            return "token id \(id) is outside the vocabulary (valid ids are 0..<\(vocabularySize) that name a token)"
        case let .unreadableFile(path, reason):
            return "\(path): cannot read tokenizer file: \(reason)"
        }
    }
}
