import Foundation

/// A prompt with named slots, written as text with `{NAME}` where a slot's word goes, e.g.
/// `"Please say yes only if it costs between {X} and {Y} dollars"`.
///
/// Slot names are the task's input variables; they double as position names (`X` is the token
/// position of the word filling `{X}`). Each slot must stand as a word of its own, after a space
/// or at the start, so that the word is one pre-tokenized piece.
public struct PromptTemplate: Sendable, Equatable {
    /// One stretch of the template.
    public enum Part: Sendable, Equatable {
        /// Literal text.
        case text(String)
        /// A slot filled by the word of the named variable's value.
        case slot(String)
    }

    /// The template as written.
    public let text: String
    /// Literal stretches and slots, in order.
    public let parts: [Part]
    /// The slot names in order of appearance (each once).
    public var slots: [String] { parts.compactMap { if case let .slot(name) = $0 { return name } else { return nil } } }

    /// Parses `{NAME}` slots.
    /// - Throws: `TokenTaskError.invalidTemplate` for an unclosed or stray brace, an empty or repeated
    ///   slot name, or a slot glued to the text before it (it must follow a space or start the prompt).
    public init(_ text: String, task: String) throws {
        func invalid(_ reason: String) -> TokenTaskError { .invalidTemplate(task: task, template: text, reason: reason) }
        var parts: [Part] = []
        var literal = ""
        var seen = Set<String>()
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "}" { throw invalid("a '}' without its '{'") }
            guard character == "{" else {
                literal.append(character)
                index = text.index(after: index)
                continue
            }
            guard let close = text[index...].firstIndex(of: "}") else { throw invalid("a '{' without its '}'") }
            let name = String(text[text.index(after: index)..<close])
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw invalid("slot name \"\(name)\" must be non-empty letters, digits or _")
            }
            guard seen.insert(name).inserted else { throw invalid("slot {\(name)} appears twice") }
            if let last = literal.last, last != " " { throw invalid("slot {\(name)} must follow a space or start the prompt") }
            if !literal.isEmpty { parts.append(.text(literal)) }
            literal = ""
            parts.append(.slot(name))
            index = text.index(after: close)
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        guard !seen.isEmpty else { throw invalid("it has no {slot}") }
        self.text = text
        self.parts = parts
    }

    /// The prompt with each slot replaced by `words[slot]`; also the text before each slot (what
    /// precedes its word), for locating it.
    /// - Throws: `TokenTaskError.noWord` when a slot has no word.
    func render(_ words: [String: String], task: String) throws -> (prompt: String, prefixes: [String: String]) {
        var prompt = ""
        var prefixes: [String: String] = [:]
        for part in parts {
            switch part {
            case let .text(literal):
                prompt += literal
            case let .slot(name):
                guard let word = words[name] else { throw TokenTaskError.noWord(task: task, role: "slot", value: name) }
                prefixes[name] = prompt
                prompt += word
            }
        }
        return (prompt, prefixes)
    }
}
