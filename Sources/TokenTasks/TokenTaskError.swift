import Foundation

/// What goes wrong when a token task meets a tokenizer, a model or a file: each case names the
/// task, slot, value or file and says what was expected.
public enum TokenTaskError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A template that cannot be parsed (an unclosed `{`, an empty or unknown slot name, …).
    case invalidTemplate(task: String, template: String, reason: String)
    /// A verbalizer or slot word that the tokenizer does not keep as one token.
    case notOneToken(task: String, role: String, value: String, word: String, tokens: [String])
    /// A slot whose word did not land at the expected token position.
    case slotMisaligned(task: String, slot: String, expected: String, found: String)
    /// A prompt longer than the model's context.
    case promptTooLong(task: String, tokens: Int, maxPositions: Int)
    /// An argument out of range (sizes, counts, rates).
    case invalidArgument(name: String, value: String, expected: String)
    /// A value the task has no word for.
    case noWord(task: String, role: String, value: String)
    /// A file that cannot be written or read.
    case file(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidTemplate(task, template, reason):
            return "task \(task): the template \"\(template)\" is invalid: \(reason)"
        case let .notOneToken(task, role, value, word, tokens):
            return "task \(task): the \(role) \(value) (\"\(word)\") is split by the tokenizer into \(tokens.count) tokens \(tokens.map { "\"\($0)\"" }.joined(separator: ", ")); each must be exactly one token"
        case let .slotMisaligned(task, slot, expected, found):
            return "task \(task): slot \(slot) should be the token \(expected) but the tokenized prompt has \(found) there"
        case let .promptTooLong(task, tokens, maxPositions):
            return "task \(task): a prompt and its answer take \(tokens) positions, more than the model's \(maxPositions) (n_positions)"
        case let .invalidArgument(name, value, expected):
            return "\(name) is \(value); expected \(expected)"
        case let .noWord(task, role, value):
            return "task \(task): no word for the \(role) value \(value)"
        case let .file(path, reason):
            return "\(path): \(reason)"
        }
    }
}
