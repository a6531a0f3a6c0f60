import CausalModels
import Foundation

/// A task for language models: a causal model, a prompt template whose slots are the model's
/// inputs, and a verbalizer saying which word (one token) each output value is.
///
/// An example is an input assignment; its prompt is the template filled with the inputs' words, and
/// the network is right when its next token after the prompt is the verbalizer's word for the
/// model's output.
public struct TokenTask: Sendable {
    /// A short name (`hierarchical-equality`, `sum-of-three`, `price-tagging`), used in file names.
    public let name: String
    /// The causal model and its summary.
    public let causalTask: CausalTask
    /// The prompt.
    public let template: PromptTemplate
    /// The output variable the answer token verbalizes.
    public let output: String
    /// The word of each output value (a word of its own; the answer token is `" " + word`).
    public let verbalizer: [Value: String]
    /// The word of an input value in its slot (one token).
    public let word: @Sendable (_ slot: String, _ value: Value) -> String
    /// Tasks over the same inputs and words whose prompts are mixed into training (half of the
    /// examples) to supervise intermediate variables; accuracy is still measured on this task only.
    /// Hierarchical equality needs them: its answer is the XNOR of two equalities, uncorrelated with
    /// either alone, so the answer's loss gives no first-order signal toward computing either.
    public var auxiliaryTasks: [TokenTask] = []

    /// The causal model.
    public var model: CausalModel { causalTask.model }

    /// - Parameter output: the variable the answer verbalizes (default: the model's first output);
    ///   any variable of the model may be verbalized (auxiliary tasks verbalize intermediate ones).
    /// - Throws: `TokenTaskError.invalidTemplate` when the template's slots are not exactly the
    ///   model's inputs; `TokenTaskError.noWord` when an output value has no word or the output is not
    ///   a variable of the model.
    public init(name: String, causalTask: CausalTask, template: String, output: String? = nil,
                verbalizer: [Value: String], word: @escaping @Sendable (_ slot: String, _ value: Value) -> String) throws {
        let template = try PromptTemplate(template, task: name)
        let model = causalTask.model
        guard Set(template.slots) == Set(model.inputs) else {
            throw TokenTaskError.invalidTemplate(task: name, template: template.text,
                                                 reason: "its slots \(template.slots) must be the model's inputs \(model.inputs)")
        }
        let output = output ?? model.outputs.first ?? ""
        guard model.variables.contains(where: { $0.name == output }) else {
            throw TokenTaskError.noWord(task: name, role: "output variable", value: output)
        }
        for value in try model.variable(output).domain.values() where verbalizer[value] == nil {
            throw TokenTaskError.noWord(task: name, role: "output \(output)", value: value.description)
        }
        self.name = name
        self.causalTask = causalTask
        self.template = template
        self.output = output
        self.verbalizer = verbalizer
        self.word = word
    }

    /// A stable fingerprint of everything that defines the task's prompts and answers (its name,
    /// template, output, words and auxiliary tasks): 16 hex digits of FNV-1a over them. Cached models
    /// are keyed by it, so `hierarchicalEquality(objects: 20)` and `(objects: 40)` never share a model.
    public func fingerprint() throws -> String {
        var parts = [name, template.text, output]
        parts += try texts()
        parts += verbalizer.map { "\($0.key)=\($0.value)" }.sorted()
        parts += auxiliaryTasks.map { "\($0.name):\($0.template.text):\($0.output)" }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in parts.joined(separator: "\u{1F}").utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Every word the task writes: the template's literal text, every input value's word and every
    /// verbalizer word, each with the space that precedes it in a prompt.
    public func texts() throws -> [String] {
        var texts = template.parts.compactMap { if case let .text(literal) = $0 { return literal } else { return nil } }
        for slot in template.slots {
            for value in try model.variable(slot).domain.values() { texts.append(" " + word(slot, value)) }
        }
        texts += verbalizer.values.sorted().map { " " + $0 }
        for auxiliary in auxiliaryTasks { texts += try auxiliary.texts() }
        return texts
    }
}
