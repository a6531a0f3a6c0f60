/// Which token of a prompt a transformer site is read and written at: the prompt's `last` token (where
/// the answer is read), the token of a template slot such as `X`, or an absolute index.
///
/// A base and its source are paired by name: `X` is the `X` slot's token in the base prompt and the
/// `X` slot's token in the source prompt, wherever each prompt has it.
public enum TokenPosition: Hashable, Sendable, CustomStringConvertible {
    /// The last prompt token.
    case last
    /// The token of a template slot.
    case slot(String)
    /// An absolute index into the prompt (from 0, before any padding).
    case index(Int)

    /// `last`, an integer (an index), or any other name (a slot).
    public init(parsing text: String) {
        if text == "last" {
            self = .last
        } else if let index = Int(text) {
            self = .index(index)
        } else {
            self = .slot(text)
        }
    }

    /// `last`, the slot's name, or the index.
    public var description: String {
        switch self {
        case .last: return "last"
        case let .slot(name): return name
        case let .index(index): return "\(index)"
        }
    }

    /// The position in a prompt of `length` tokens whose named positions (slots and `last`) are `named`.
    /// - Throws: `AlignmentError.invalidConfiguration` naming the position and what the prompt has.
    public func resolve(named: [String: Int], length: Int) throws -> Int {
        switch self {
        case .last:
            return length - 1
        case let .slot(name):
            guard let position = named[name] else {
                throw AlignmentError.invalidConfiguration(
                    "position \(name) is not in the prompt; it has \(named.keys.sorted().joined(separator: ", ")) and the indices 0..<\(length)")
            }
            return position
        case let .index(index):
            guard (0..<length).contains(index) else {
                throw AlignmentError.invalidConfiguration("position \(index) is outside the prompt's \(length) tokens (0..<\(length))")
            }
            return index
        }
    }
}
