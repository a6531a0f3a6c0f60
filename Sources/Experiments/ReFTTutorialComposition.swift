import Foundation
import Interventions
import ReFT
import Tensors
import Transformers

/// Two skills, each its own adapter trained apart, then applied together (issue 9, point 10).
///
/// Skill A: answers to *home* questions open with `well ,`. Skill B: answers to *colour* questions
/// open with `my friend ,`. The two sit on different layers and compose in one plan
/// (`ReFTAdapter.generationPlan([a, b], ...)`). Trained apart, each adapter sees either only its own
/// styled examples (`Others.absent`, what one tries first), or besides them as many plain answers to
/// the other skill's kind of question (`Others.plain`), so it learns to act only on its own kind;
/// those plain answers also teach each adapter to undo the other. The remedy trains B on top of A
/// (`StackedReFTAdapter`) with A's styled answers in place of the plain ones (`Others.styled`).
public enum ReFTComposition {
    /// One skill: its style, the kind of question it restyles, the kind it leaves alone, its layers.
    public struct Skill: Sendable {
        public let name: String
        public let style: AnswerStyle
        public let kind: AnimalFactsWorld.QuestionKind
        public let other: AnimalFactsWorld.QuestionKind
        public let layers: [Int]
    }

    /// Skill A (`well ,` on home questions, layers `aLayers`) and B (`my friend ,` on colour questions, layers `bLayers`).
    public static func skills(aLayers: [Int], bLayers: [Int]) -> [Skill] {
        [Skill(name: "A", style: .opensWithWell, kind: .home, other: .colour, layers: aLayers),
         Skill(name: "B", style: .opensWithMyFriend, kind: .colour, other: .home, layers: bLayers)]
    }

    /// What an adapter's training lines hold for the other skill's kind of question.
    public enum Others: Sendable, Equatable {
        /// Nothing: the adapter sees only its own kind.
        case absent
        /// `perKind` of them answered plainly (negatives: leave these alone).
        case plain
        /// `perKind` of them answered in this style (the other skill's, when training on top of it).
        case styled(AnswerStyle)
    }

    /// The training lines of `skill`: `perKind` of its kind of question from `questions` in its
    /// style, then `perKind` of the other kind as `others` says.
    public static func trainingLines(_ skill: Skill, questions: [AnimalFactsWorld.Question], perKind: Int,
                                     others: Others = .plain) throws -> Data {
        let own = questions.filter { $0.kind == skill.kind }.prefix(perKind)
        let other = others == .absent ? [] : questions.filter { $0.kind == skill.other }.prefix(perKind)
        var lines = try ReFTTutorialTraining.jsonLines(Array(own), style: skill.style)
        for question in other {
            var answer = question.plainAnswer
            if case let .styled(style) = others { answer = style.answer(to: question) }
            lines += try JSONSerialization.data(withJSONObject: ["prompt": question.prompt, "completion": " " + answer], options: [.sortedKeys])
            lines += Data("\n".utf8)
        }
        return lines
    }

    /// Trains the adapter of `skill` (LoReFT rank `rank` at `positions`) on `trainingLines`, on top
    /// of `beneath` (frozen, acting first; none: trained apart), the other kind as `others` says.
    public static func train(_ skill: Skill, on beneath: [ReFTAdapter] = [], others: Others = .plain, base: ReFTTutorialBase,
                             questions: [AnimalFactsWorld.Question], perKind: Int, rank: Int, positions: String = "f1+l1",
                             options: ReFTTrainingOptions, seed: UInt64) throws -> ReFTAdapter {
        let data = try PromptCompletionDataset(jsonLines: try trainingLines(skill, questions: questions, perKind: perKind, others: others),
                                               origin: "skill \(skill.name)", endOfSequence: base.endOfText,
                                               encodePrompt: { base.tokenizer.encode($0, addSpecialTokens: true) },
                                               encodeCompletion: { base.tokenizer.encode($0, addSpecialTokens: false) })
        let top = try ReFTAdapter(spec: try ReFTTutorialTraining.loreft(rank: rank, layers: skill.layers, positions: positions),
                                  model: base.model.configuration, seed: seed)
        try ReFTTutorialTraining.train(StackedReFTAdapter(frozen: beneath, top: top), on: data, base: base, options: options)
        return top
    }

    /// Each skill's scores under one set of adapters: on its own kind of question (the style rate is
    /// the skill) and on the other kind (the style rate there is leakage; it should stay 0).
    public struct Scores: Sendable {
        public let adapters: String
        /// Per skill name: on its own kind, and on the other kind.
        public let own: [String: StyleScore], leak: [String: StyleScore]
    }

    /// Scores both skills on `test` questions with `adapters` acting together (empty: the base alone).
    public static func score(skills: [Skill], adapters: [ReFTAdapter], label: String, base: ReFTTutorialBase,
                             test: [AnimalFactsWorld.Question]) throws -> Scores {
        let plan: InterventionPlanMaker? = adapters.isEmpty ? nil : ReFTTutorialTraining.planMaker(adapters)
        var own: [String: StyleScore] = [:], leak: [String: StyleScore] = [:]
        for skill in skills {
            own[skill.name] = try ReFTTutorialTraining.score(test.filter { $0.kind == skill.kind }, style: skill.style, base: base, plan: plan)
            leak[skill.name] = try ReFTTutorialTraining.score(test.filter { $0.kind == skill.other }, style: skill.style, base: base, plan: plan)
        }
        return Scores(adapters: label, own: own, leak: leak)
    }
}

/// An adapter trained on top of others: `frozen` act first (unchanged, no gradients), then `top`,
/// the only one trained. The remedy when adapters trained apart interfere: the second one learns
/// its skill in the representation the first one leaves.
public final class StackedReFTAdapter: Module, TrainableAdapter {
    /// Acting beneath, in order; never trained.
    public let frozen: [ReFTAdapter]
    /// The adapter trained.
    public let top: ReFTAdapter

    /// Freezes `frozen`.
    public init(frozen: [ReFTAdapter], top: ReFTAdapter) {
        for adapter in frozen { adapter.freeze() }
        self.frozen = frozen
        self.top = top
    }

    /// Only `top`'s parameters: what the optimizer sees.
    public var moduleChildren: [(label: String, value: Any)] { [(label: "top", value: top)] }
    public var isTraining: Bool {
        get { top.isTraining }
        set { top.isTraining = newValue }
    }
    /// One plan holding every adapter, `top` last.
    public func plan(tokens: TokenBatch, promptLengths: [Int]) throws -> InterventionPlan {
        try ReFTAdapter.plan(frozen + [top], tokens: tokens, promptLengths: promptLengths)
    }
    public func willStep() throws { try top.willStep() }
    public func didStep() throws { try top.didStep() }
    public func reseedDropout(_ seed: UInt64) { top.reseedDropout(seed) }
    /// Saves `top` alone (the frozen adapters have their own files).
    public func save(to directory: URL) throws { try top.save(to: directory) }
    public static var weightsFileName: String { ReFTAdapter.weightsFileName }
}
