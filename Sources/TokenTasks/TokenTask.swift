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

    /// The causal model.
    public var model: CausalModel { causalTask.model }

    /// - Throws: `TokenTaskError.invalidTemplate` when the template's slots are not exactly the
    ///   model's inputs; `TokenTaskError.noWord` when an output value has no word or the output is not
    ///   one of the model's outputs.
    public init(name: String, causalTask: CausalTask, template: String, output: String? = nil,
                verbalizer: [Value: String], word: @escaping @Sendable (_ slot: String, _ value: Value) -> String) throws {
        let template = try PromptTemplate(template, task: name)
        let model = causalTask.model
        guard Set(template.slots) == Set(model.inputs) else {
            throw TokenTaskError.invalidTemplate(task: name, template: template.text,
                                                 reason: "its slots \(template.slots) must be the model's inputs \(model.inputs)")
        }
        let output = output ?? model.outputs.first ?? ""
        guard model.outputs.contains(output) else {
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

    /// Every word the task writes: the template's literal text, every input value's word and every
    /// verbalizer word, each with the space that precedes it in a prompt.
    public func texts() throws -> [String] {
        var texts = template.parts.compactMap { if case let .text(literal) = $0 { return literal } else { return nil } }
        for slot in template.slots {
            for value in try model.variable(slot).domain.values() { texts.append(" " + word(slot, value)) }
        }
        texts += verbalizer.values.sorted().map { " " + $0 }
        return texts
    }
}
