import Foundation
import Randomness
import Tokenizers
import Transformers

/// One tokenized training example.
public struct PromptCompletionExample: Sendable, Equatable {
    /// The prompt's ids (after the template, with the tokenizer's prefix ids such as a BOS).
    public let prompt: [Int]
    /// The completion's ids (with the end-of-sequence id appended when one is given).
    public let completion: [Int]
    /// The line of the file it came from, from 1.
    public let line: Int

    public init(prompt: [Int], completion: [Int], line: Int) {
        (self.prompt, self.completion, self.line) = (prompt, completion, line)
    }
}

/// A batch for ReFT training: right-padded ids, labels that count only completion tokens, and the
/// prompt lengths that place the interventions.
public struct PromptCompletionBatch {
    /// `[batch, t]`: per row the prompt, the completion, then padding (right padding: no
    /// `leftPadding`; causal attention keeps real tokens from seeing the padding after them).
    public let tokens: TokenBatch
    /// `[batch, t]`: the completion's ids at the completion's positions, −100 everywhere else
    /// (prompt and padding), for `Transformer.languageModelLoss`.
    public let labels: [[Int]]
    /// Per row, the number of prompt tokens (they start at position 0).
    public let promptLengths: [Int]
    /// Per row, the source line of its example.
    public let lines: [Int]
}

/// Prompt/completion pairs from a JSON Lines file, one `{"prompt": "...", "completion": "..."}`
/// object a line (other fields ignored, blank lines skipped), tokenized for ReFT training.
///
/// The prompt is put into an optional template (`{prompt}` replaced by the prompt's text) and
/// encoded with the tokenizer's special ids (`encode(_:addSpecialTokens: true)`, e.g. a BOS before
/// it); the completion is encoded on its own without special ids, then `endOfSequence` is appended
/// when given. Encoding the two apart (rather than the joined text) gives the prompt exactly the
/// ids it has at generation, where the prompt is encoded alone.
public struct PromptCompletionDataset {
    /// The examples, in file order.
    public let examples: [PromptCompletionExample]
    /// The file they came from.
    public let origin: String

    /// Reads and tokenizes `url`.
    /// - Throws: `ReFTError.fileAccess` for an unreadable file; `.invalidLine` (file and line) for a
    ///   line that is not a JSON object, lacks `prompt` or `completion`, has one that is not a
    ///   string, or whose prompt encodes to no token; `.unusableData` for a file with no example,
    ///   one whose every completion is empty, or a template without `{prompt}`.
    public init(contentsOf url: URL, tokenizer: Tokenizer, template: String? = nil, endOfSequence: Int? = nil) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ReFTError.fileAccess(file: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        try self.init(jsonLines: data, origin: url.path, template: template, endOfSequence: endOfSequence,
                      encodePrompt: { tokenizer.encode($0, addSpecialTokens: true) },
                      encodeCompletion: { tokenizer.encode($0, addSpecialTokens: false) })
    }

    /// Reads JSON Lines `data` with the given encoders; `origin` names it in errors.
    public init(jsonLines data: Data, origin: String, template: String? = nil, endOfSequence: Int? = nil,
                encodePrompt: (String) -> [Int], encodeCompletion: (String) -> [Int]) throws {
        if let template, !template.contains("{prompt}") {
            throw ReFTError.unusableData(file: origin, reason: "the prompt template \"\(template)\" has no {prompt} to put the prompt in")
        }
        var examples: [PromptCompletionExample] = []
        var lineNumber = 0
        let text = data.starts(with: [0xef, 0xbb, 0xbf]) ? data.dropFirst(3) : data[...]  // a UTF-8 byte-order mark
        for rawLine in text.split(separator: 0x0a, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Data(rawLine)
            if line.last == 0x0d { line.removeLast() }  // CRLF files
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            func invalid(_ reason: String) -> ReFTError { .invalidLine(file: origin, line: lineNumber, reason: reason) }
            let object: Any
            do { object = try JSONSerialization.jsonObject(with: line, options: []) } catch {
                throw invalid("not valid JSON (\(error.localizedDescription)); each line must be one object like {\"prompt\": \"...\", \"completion\": \"...\"}")
            }
            guard let fields = object as? [String: Any] else {
                throw invalid("expected a JSON object with \"prompt\" and \"completion\", found \(Self.typeName(object))")
            }
            func text(_ name: String) throws -> String {
                guard let value = fields[name] else { throw invalid("the field \"\(name)\" is missing") }
                guard let string = value as? String else { throw invalid("the field \"\(name)\" must be a string, found \(Self.typeName(value))") }
                return string
            }
            let promptText = try text("prompt")
            let completionText = try text("completion")
            let prompt = encodePrompt(template.map { $0.replacingOccurrences(of: "{prompt}", with: promptText) } ?? promptText)
            guard !prompt.isEmpty else { throw invalid("the prompt encodes to no token; interventions need at least one prompt token") }
            let completion = encodeCompletion(completionText) + (endOfSequence.map { [$0] } ?? [])
            examples.append(PromptCompletionExample(prompt: prompt, completion: completion, line: lineNumber))
        }
        guard !examples.isEmpty else {
            throw ReFTError.unusableData(file: origin, reason: "the file holds no example (expected one JSON object per line)")
        }
        guard examples.contains(where: { !$0.completion.isEmpty }) else {
            throw ReFTError.unusableData(file: origin, reason: "every completion is empty: there is nothing to train on")
        }
        self.examples = examples
        self.origin = origin
    }

    private static func typeName(_ value: Any) -> String {
        switch value {
        case is String: "a string"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        case is NSNull: "null"
        default: "a number or boolean"
        }
    }

    /// The examples in batches of `size` (the last may be smaller), in file order or shuffled by
    /// `shuffleSeed` (the same seed gives the same order), each right-padded with `padToken`.
    /// - Throws: `ReFTError.invalidPlacement` for a size below 1.
    public func batches(size: Int, shuffleSeed: UInt64? = nil, padToken: Int = 0) throws -> [PromptCompletionBatch] {
        guard size >= 1 else { throw ReFTError.invalidPlacement("the batch size must be at least 1, got \(size)") }
        var order = Array(examples.indices)
        if let shuffleSeed {
            var generator = SeededGenerator(seed: shuffleSeed)
            order = generator.permutation(of: order)
        }
        return try stride(from: 0, to: order.count, by: size).map { start in
            try Self.batch(order[start..<min(start + size, order.count)].map { examples[$0] }, padToken: padToken)
        }
    }

    /// One right-padded batch of `examples`.
    public static func batch(_ examples: [PromptCompletionExample], padToken: Int = 0) throws -> PromptCompletionBatch {
        let length = examples.map { $0.prompt.count + $0.completion.count }.max() ?? 0
        var rows: [[Int]] = [], labels: [[Int]] = []
        for example in examples {
            let padding = length - example.prompt.count - example.completion.count
            rows.append(example.prompt + example.completion + [Int](repeating: padToken, count: padding))
            labels.append([Int](repeating: -100, count: example.prompt.count) + example.completion + [Int](repeating: -100, count: padding))
        }
        return PromptCompletionBatch(tokens: try TokenBatch(rows), labels: labels,
                                     promptLengths: examples.map(\.prompt.count), lines: examples.map(\.line))
    }
}
