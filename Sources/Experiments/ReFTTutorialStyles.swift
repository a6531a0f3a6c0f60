import Foundation
import Interventions
import Randomness
import ReFT
import Tensors
import Transformers

/// A new way of answering the world's questions, one the corpus never uses, checked by a function.
public enum AnswerStyle: String, Sendable, CaseIterable {
    /// The answer opens with `well ,`: `well , the fox lives in the forest .`
    case opensWithWell = "well"
    /// The answer opens with `my friend ,`: `my friend , the fox lives in the forest .`
    case opensWithMyFriend = "friend"

    /// A line for reports.
    public var summary: String {
        switch self {
        case .opensWithWell: "answers open with \"well ,\""
        case .opensWithMyFriend: "answers open with \"my friend ,\""
        }
    }

    /// The answer to `question` in this style.
    public func answer(to question: AnimalFactsWorld.Question) -> String {
        switch self {
        case .opensWithWell: "well , " + question.fact + " ."
        case .opensWithMyFriend: "my friend , " + question.fact + " ."
        }
    }

    /// Whether `answer` (a generated text, trimmed) is in this style; says nothing about its fact.
    public func isFollowed(by answer: String) -> Bool {
        switch self {
        case .opensWithWell: answer.hasPrefix("well , ")
        case .opensWithMyFriend: answer.hasPrefix("my friend , ")
        }
    }
}

/// The world's questions split for a style task: at most a handful to train on, a validation split
/// (the only one any setting is chosen on), and held-out test prompts.
public struct StyleTaskSplits: Sendable {
    public let training: [AnimalFactsWorld.Question]
    public let validation: [AnimalFactsWorld.Question]
    public let test: [AnimalFactsWorld.Question]

    /// A seeded shuffle of every question, cut into `trainingCount`, `validationCount` and the rest (at most `testCount`).
    /// - Throws: `ReFTTutorialError.invalidSetting` when the counts do not fit the world's 150 questions.
    public init(world: AnimalFactsWorld, trainingCount: Int, validationCount: Int, testCount: Int, seed: UInt64) throws {
        let all = world.questions
        guard trainingCount >= 1, validationCount >= 1, testCount >= 1, trainingCount + validationCount + testCount <= all.count else {
            throw ReFTTutorialError.invalidSetting(
                "\(trainingCount) training + \(validationCount) validation + \(testCount) test questions (each at least 1) exceed the world's \(all.count)")
        }
        var generator = SeededGenerator(seed: seed)
        let shuffled = generator.permutation(of: all)
        training = Array(shuffled[0..<trainingCount])
        validation = Array(shuffled[trainingCount..<(trainingCount + validationCount)])
        test = Array(shuffled[(trainingCount + validationCount)..<(trainingCount + validationCount + testCount)])
    }
}

/// What a set of generated answers scores.
public struct StyleScore: Sendable, Equatable {
    /// The fraction in the style.
    public let styleRate: Double
    /// The fraction that state the question's fact (`the fox lives in the forest`) somewhere.
    public let factRate: Double
    /// The fraction equal to the styled answer exactly (style and fact, nothing else).
    public let exactRate: Double
    /// The prompts scored.
    public let count: Int
    /// The first few (question prompt, answer) pairs, for the story.
    public let samples: [(prompt: String, answer: String)]

    /// Equal rates and counts (the samples are for display).
    public static func == (a: StyleScore, b: StyleScore) -> Bool {
        a.styleRate == b.styleRate && a.factRate == b.factRate && a.exactRate == b.exactRate && a.count == b.count
    }
}

/// Training and scoring adapters on the tutorial base model.
public enum ReFTTutorialTraining {
    /// The JSON Lines of `{"prompt", "completion"}` for `questions` answered in `style`: what
    /// `reft train --data` reads (the tutorials write it beside their plots).
    public static func jsonLines(_ questions: [AnimalFactsWorld.Question], style: AnswerStyle) throws -> Data {
        var data = Data()
        for question in questions {
            let object: [String: String] = ["prompt": question.prompt, "completion": " " + style.answer(to: question)]
            data += try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            data += Data("\n".utf8)
        }
        return data
    }

    /// The dataset of `jsonLines(questions, style:)`, tokenized as `reft train` does (answer then end-of-text).
    public static func dataset(_ questions: [AnimalFactsWorld.Question], style: AnswerStyle, base: ReFTTutorialBase) throws -> PromptCompletionDataset {
        try PromptCompletionDataset(jsonLines: try jsonLines(questions, style: style), origin: "\(style.rawValue) examples",
                                    endOfSequence: base.endOfText,
                                    encodePrompt: { base.tokenizer.encode($0, addSpecialTokens: true) },
                                    encodeCompletion: { base.tokenizer.encode($0, addSpecialTokens: false) })
    }

    /// Trains `adapter` on `data` with `options` (the base stays frozen); returns the last epoch's training loss.
    @discardableResult
    public static func train<Adapter: TrainableAdapter>(_ adapter: Adapter, on data: PromptCompletionDataset, base: ReFTTutorialBase,
                                                         options: ReFTTrainingOptions) throws -> Float {
        let trainer = try ReFTTrainer(model: base.model, adapter: adapter, data: data, options: options)
        try trainer.train()
        return trainer.history.last?.trainingLoss ?? .nan
    }

    /// Greedy answers to `questions` (batches of 32) with `plan` at the prefill (none: the base
    /// alone; a LoRA adapter is merged into the weights beforehand by its caller), scored against `style`.
    public static func score(_ questions: [AnimalFactsWorld.Question], style: AnswerStyle, base: ReFTTutorialBase,
                             plan: InterventionPlanMaker? = nil, sampleCount: Int = 3) throws -> StyleScore {
        var styled = 0, facts = 0, exact = 0
        var samples: [(prompt: String, answer: String)] = []
        for start in stride(from: 0, to: questions.count, by: 32) {
            let chunk = Array(questions[start..<min(start + 32, questions.count)])
            let answers = try base.answers(chunk.map { base.tokenizer.encode($0.prompt, addSpecialTokens: true) }, maxNewTokens: 24, plan: plan)
            for (question, answer) in zip(chunk, answers) {
                if style.isFollowed(by: answer) { styled += 1 }
                if answer.contains(question.fact) { facts += 1 }
                if answer == style.answer(to: question) { exact += 1 }
                if samples.count < sampleCount { samples.append((question.prompt, answer)) }
            }
        }
        let n = Double(max(questions.count, 1))
        return StyleScore(styleRate: Double(styled) / n, factRate: Double(facts) / n, exactRate: Double(exact) / n,
                          count: questions.count, samples: samples)
    }

    /// The plan maker of ReFT adapters acting together.
    public static func planMaker(_ adapters: [ReFTAdapter]) -> InterventionPlanMaker {
        { prompts in try ReFTAdapter.generationPlan(adapters, prompts: prompts) }
    }

    /// A LoReFT spec at `layers`, `positions` (e.g. `l1`), rank `rank`.
    public static func loreft(rank: Int, layers: [Int], positions: String) throws -> ReFTSpec {
        ReFTSpec(kind: .loreft, rank: rank, layers: .list(layers), positions: try PositionSpec(parsing: positions))
    }
}
