import CausalModels
import Foundation
import Tokenizers

/// One example of a token task, ready for a transformer.
public struct TokenTaskExample: Sendable, Equatable {
    /// The input assignment.
    public let input: Assignment
    /// The prompt's text.
    public let prompt: String
    /// The prompt's token ids (no special tokens).
    public let ids: [Int]
    /// The token id of the correct answer (the verbalizer's word for the model's output).
    public let answer: Int
    /// The token position of each slot's word, and `last` (the final prompt position, where the answer is read).
    public let positions: [String: Int]
}

/// A token task bound to a tokenizer: it checks that every verbalizer word and slot word is one
/// token, and turns inputs into prompts, ids and slot positions.
public struct TokenTaskEncoder: Sendable {
    /// The task.
    public let task: TokenTask
    /// The tokenizer.
    public let tokenizer: Tokenizer
    /// The token id of each output value.
    public let answerIDs: [Value: Int]

    /// - Throws: `TokenTaskError.notOneToken` naming the first verbalizer value or slot value the
    ///   tokenizer splits (with its tokens).
    public init(task: TokenTask, tokenizer: Tokenizer) throws {
        self.task = task
        self.tokenizer = tokenizer
        var answers: [Value: Int] = [:]
        for (value, word) in task.verbalizer.sorted(by: { $0.value < $1.value }) {
            answers[value] = try Self.singleToken(" " + word, tokenizer: tokenizer, task: task.name, role: "verbalizer value", value: value)
        }
        answerIDs = answers
        for slot in task.template.slots {
            for value in try task.model.variable(slot).domain.values() {
                _ = try Self.singleToken(" " + task.word(slot, value), tokenizer: tokenizer, task: task.name, role: "slot \(slot) value", value: value)
            }
        }
    }

    private static func singleToken(_ text: String, tokenizer: Tokenizer, task: String, role: String, value: Value) throws -> Int {
        let ids = tokenizer.encode(text)
        guard ids.count == 1 else {
            throw TokenTaskError.notOneToken(task: task, role: role, value: value.description, word: text.trimmingCharacters(in: .whitespaces),
                                             tokens: ids.map { (try? tokenizer.decode([$0])) ?? "#\($0)" })
        }
        return ids[0]
    }

    /// The example of `input`: its prompt, ids, answer and positions.
    /// - Throws: `CausalModelError` for an input the model rejects; `TokenTaskError.slotMisaligned`
    ///   when a slot's word is not one token at the position its prefix predicts.
    public func example(_ input: Assignment) throws -> TokenTaskExample {
        let run = try task.model.run(inputs: input)
        var words: [String: String] = [:]
        for slot in task.template.slots { words[slot] = task.word(slot, try run.value(slot)) }
        let (prompt, prefixes) = try task.template.render(words, task: task.name)
        let ids = tokenizer.encode(prompt)
        var positions: [String: Int] = ["last": ids.count - 1]
        for slot in task.template.slots {
            let prefix = prefixes[slot]!
            let position = prefix.isEmpty ? 0 : tokenizer.encode(String(prefix.dropLast(prefix.hasSuffix(" ") ? 1 : 0))).count
            let expected = tokenizer.encode(" " + words[slot]!)
            guard position < ids.count, expected == [ids[position]] else {
                let found = position < ids.count ? ((try? tokenizer.decode([ids[position]])) ?? "#\(ids[position])") : "nothing (the prompt has \(ids.count) tokens)"
                throw TokenTaskError.slotMisaligned(task: task.name, slot: slot, expected: "\"\(words[slot]!)\" at position \(position)", found: found)
            }
            positions[slot] = position
        }
        guard let answer = answerIDs[try run.value(task.output)] else {
            throw TokenTaskError.noWord(task: task.name, role: "output \(task.output)", value: try run.value(task.output).description)
        }
        return TokenTaskExample(input: input, prompt: prompt, ids: ids, answer: answer, positions: positions)
    }

    /// The token position of each template slot in the prompt of `input`, and `last`.
    public func slotPositions(for input: Assignment) throws -> [String: Int] { try example(input).positions }

    /// Throws unless a prompt and its answer fit a context of `maxPositions`.
    /// - Throws: `TokenTaskError.promptTooLong` with the prompt's length.
    public func checkFits(maxPositions: Int, sample input: Assignment) throws {
        let length = try example(input).ids.count + 1
        guard length <= maxPositions else { throw TokenTaskError.promptTooLong(task: task.name, tokens: length, maxPositions: maxPositions) }
    }
}
