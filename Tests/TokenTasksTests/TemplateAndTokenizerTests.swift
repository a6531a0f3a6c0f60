import CausalModels
import Foundation
import Randomness
import Testing
import Tokenizers
@testable import TokenTasks

/// The tokenizer built from a task's own words, as `TokenTaskCheckpoint` builds it.
func taskTokenizer(_ task: TokenTask) throws -> Tokenizer {
    try Tokenizer(data: try TaskTokenizerBuilder.tokenizerJSON(for: try task.texts()), origin: "tokenizer of \(task.name)")
}

@Suite("Token tasks: templates, tokenizers, verbalizers")
struct TemplateAndTokenizerTests {
    @Test func templateSlotsAndParts() throws {
        let template = try PromptTemplate("Is {A} like {B}? yes", task: "t")
        #expect(template.slots == ["A", "B"])
        #expect(template.parts == [.text("Is "), .slot("A"), .text(" like "), .slot("B"), .text("? yes")])
    }

    @Test(arguments: [
        ("costs {X dollars", "without its '}'"),
        ("costs X} dollars", "without its '{'"),
        ("costs {} dollars", "slot name \"\""),
        ("{X} and {X}", "appears twice"),
        ("costs${X}", "must follow a space"),
        ("no slots here", "has no {slot}"),
    ])
    func badTemplatesAreRefusedByName(text: String, fragment: String) {
        let error = #expect(throws: TokenTaskError.self) { try PromptTemplate(text, task: "t") }
        #expect(error?.description.contains(fragment) == true, "\(String(describing: error))")
        #expect(error?.description.contains(text) == true)
    }

    @Test func slotsMustBeTheModelsInputs() throws {
        let error = #expect(throws: TokenTaskError.self) {
            try TokenTask(name: "sum", causalTask: try .sumOfThree(), template: "{X} plus {Y} equals",
                          verbalizer: [:], word: { _, value in value.description })
        }
        #expect(error?.description.contains("must be the model's inputs") == true)
    }

    @Test func priceTaggingPromptAndSlotPositions() throws {
        let task = try TokenTask.priceTagging()
        let encoder = try TokenTaskEncoder(task: task, tokenizer: try taskTokenizer(task))
        let example = try encoder.example(["X": 3, "Y": 21, "Z": 24])
        #expect(example.prompt == "Please say yes only if it costs between 3 and 21 dollars, otherwise no. It costs 24 dollars.")
        // Please say yes only if it costs between 3 and 21 dollars , otherwise no . It costs 24 dollars .
        //   0     1   2    3   4  5    6      7    8  9  10    11   12     13    14 15 16  17  18    19   20
        #expect(example.ids.count == 21)
        #expect(example.positions == ["X": 8, "Y": 10, "Z": 18, "last": 20])
        for (slot, word) in [("X", " 3"), ("Y", " 21"), ("Z", " 24")] {
            #expect(try encoder.tokenizer.decode([example.ids[example.positions[slot]!]]) == word)
        }
        #expect(example.answer == encoder.answerIDs[.bool(false)])
        #expect(try encoder.example(["X": 3, "Y": 21, "Z": 21]).answer == encoder.answerIDs[.bool(true)])
    }

    @Test func hierarchicalEqualityAndSumSlotPositions() throws {
        let equality = try TokenTask.hierarchicalEquality(objects: 30)
        let equalityEncoder = try TokenTaskEncoder(task: equality, tokenizer: try taskTokenizer(equality))
        let example = try equalityEncoder.example(["W": "o0", "X": "o0", "Y": "o27", "Z": "o3"])
        #expect(example.prompt == "zaa zaa zbb zad same?")
        #expect(example.positions == ["W": 0, "X": 1, "Y": 2, "Z": 3, "last": 5])
        #expect(example.answer == equalityEncoder.answerIDs[.bool(false)])

        let sum = try TokenTask.sumOfThree()
        let sumEncoder = try TokenTaskEncoder(task: sum, tokenizer: try taskTokenizer(sum))
        let sumExample = try sumEncoder.example(["X": 9, "Y": 9, "Z": 8])
        #expect(sumExample.prompt == "9 plus 9 plus 8 equals")
        #expect(sumExample.positions == ["X": 0, "Y": 2, "Z": 4, "last": 5])
        #expect(try sumEncoder.tokenizer.decode([sumExample.answer]) == " 26")
        #expect(Set(sumEncoder.answerIDs.values).count == 28)
    }

    @Test func hierarchicalEqualityAuxiliaryPromptsAskForEachPair() throws {
        let task = try TokenTask.hierarchicalEquality(objects: 30)
        let tokenizer = try taskTokenizer(task)
        #expect(task.auxiliaryTasks.map(\.output) == ["WX", "YZ"])
        let (first, second) = (try TokenTaskEncoder(task: task.auxiliaryTasks[0], tokenizer: tokenizer),
                               try TokenTaskEncoder(task: task.auxiliaryTasks[1], tokenizer: tokenizer))
        let input: Assignment = ["W": "o4", "X": "o4", "Y": "o5", "Z": "o6"]
        let firstExample = try first.example(input)
        #expect(firstExample.prompt == "zae zae zaf zag first?")
        #expect(firstExample.answer == first.answerIDs[.bool(true)])
        #expect(try second.example(input).answer == second.answerIDs[.bool(false)])
        #expect(try second.example(input).positions == ["W": 0, "X": 1, "Y": 2, "Z": 3, "last": 5])
    }

    @Test(arguments: TokenTask.builtInNames)
    func tokenizerRoundTripsAndKeepsEveryWordWhole(name: String) throws {
        let task = try TokenTask.builtIn(named: name)
        let tokenizer = try taskTokenizer(task)
        let encoder = try TokenTaskEncoder(task: task, tokenizer: tokenizer)
        // Every word the task writes is one token per pre-tokenized piece.
        for text in try task.texts() {
            let ids = tokenizer.encode(text)
            #expect(ids.count == TaskTokenizerBuilder.pieces(of: text).count, "\(text) -> \(ids)")
            #expect(try tokenizer.decode(ids) == (text.hasPrefix(" ") ? text : " " + text))
        }
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<50 {
            let example = try encoder.example(try task.model.sampleInput(using: &generator))
            #expect(try tokenizer.decode(example.ids) == " " + example.prompt)
        }
        #expect(tokenizer.addedTokens.map(\.content) == [TaskTokenizerBuilder.endOfText])
        #expect(tokenizer.addedTokens[0].id == tokenizer.vocabularySize - 1)
        // Text outside the task's words still encodes, byte by byte.
        #expect(try tokenizer.decode(tokenizer.encode("qué?")) == " qué?")
    }

    @Test func aVerbalizerWordTheTokenizerSplitsIsNamedWithItsTokens() throws {
        let plain = try TokenTask.priceTagging()
        let tokenizer = try taskTokenizer(plain)
        let other = try TokenTask(name: "price-tagging-nope", causalTask: plain.causalTask, template: plain.template.text,
                                  verbalizer: [.bool(true): "yes", .bool(false): "nope"], word: plain.word)
        let error = #expect(throws: TokenTaskError.self) { try TokenTaskEncoder(task: other, tokenizer: tokenizer) }
        #expect(error == .notOneToken(task: "price-tagging-nope", role: "verbalizer value", value: "false", word: "nope",
                                      tokens: [" no", "p", "e"]))
        #expect(error?.description.contains("\"nope\") is split by the tokenizer into 3 tokens \" no\", \"p\", \"e\"") == true)
    }

    @Test func aSlotValueTheTokenizerSplitsIsNamed() throws {
        let small = try TokenTask.priceTagging(amounts: 1...9)
        let large = try TokenTask.priceTagging(amounts: 1...120)
        let error = #expect(throws: TokenTaskError.self) { try TokenTaskEncoder(task: large, tokenizer: try taskTokenizer(small)) }
        #expect(error?.description.contains("slot X value 10") == true, "\(String(describing: error))")
    }

    @Test func aPromptLongerThanTheContextIsRefused() throws {
        let task = try TokenTask.priceTagging()
        let encoder = try TokenTaskEncoder(task: task, tokenizer: try taskTokenizer(task))
        let error = #expect(throws: TokenTaskError.self) { try encoder.checkFits(maxPositions: 16, sample: ["X": 1, "Y": 2, "Z": 3]) }
        #expect(error == .promptTooLong(task: "price-tagging", tokens: 22, maxPositions: 16))
        try encoder.checkFits(maxPositions: 22, sample: ["X": 1, "Y": 2, "Z": 3])
    }

    @Test func unknownBuiltInTaskNamesTheKnownOnes() {
        let error = #expect(throws: TokenTaskError.self) { try TokenTask.builtIn(named: "boolean-or") }
        #expect(error?.description.contains("hierarchical-equality, sum-of-three, price-tagging") == true)
    }
}
