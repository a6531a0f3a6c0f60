import Foundation
import Randomness
import ReFT
import Tensors
import Transformers

/// One memorisation run: a LoReFT of some rank at some positions of a fixed prompt, at some layers,
/// trained to make greedy decoding write a random token sequence.
public struct MemorisationRun: Sendable, Equatable {
    /// The layers intervened on (one for the curves; several for the capacity rows).
    public let layers: [Int]
    /// The intervention's rank.
    public let rank: Int
    /// The prompt positions (`l1`: the last token; `f<n>`: the first n, the whole prompt when n is its length).
    public let positions: String
    /// Trainable parameters (2dk + k per intervention).
    public let parameterCount: Int
    /// The sequence's length.
    public let length: Int
    /// The fraction of positions where greedy decoding wrote the stored token.
    public let recovered: Double
    /// Whether every token was recovered.
    public var isExact: Bool { recovered == 1 }
    /// Optimizer steps taken (training stops at the first check that finds the whole sequence).
    public let steps: Int
    /// The training loss of the last step, before it (mean cross-entropy per stored token).
    public let loss: Float
    /// The loss recomputed after training, teacher-forced without gradients (`ReFTTrainer.evaluate`).
    public let finalLoss: Float
    /// After training, the fraction of stored tokens that are the model's top choice with the true
    /// tokens before them (teacher forcing): what greedy decoding would write if it never went astray.
    public let teacherForced: Double
    /// Wall-clock seconds.
    public let seconds: Double
}

/// The memorisation experiment (issue 9, point 10): how long a random sequence a single rank-1
/// intervention at one position can store, layer by layer; and, as a control, how much more a
/// bigger intervention (higher rank, every prompt position, every layer) stores on the same model.
public enum ReFTMemorisation {
    /// The fixed prompt, every word in the corpus.
    public static let prompt = "one day the fox said :"

    /// `length` token ids drawn uniformly (seeded) from the corpus words' ids: the tokens the base
    /// model was trained on, so none is a never-seen embedding.
    public static func randomSequence(length: Int, base: ReFTTutorialBase, seed: UInt64) throws -> [Int] {
        let vocabulary = try base.world.words.map { word -> Int in
            let ids = base.tokenizer.encode(" " + word)
            guard ids.count == 1 else { throw ReFTTutorialError.invalidSetting("the word '\(word)' is not one token") }
            return ids[0]
        }
        var generator = SeededGenerator(seed: seed)
        return (0..<length).map { _ in generator.element(of: vocabulary) }
    }

    /// The prompt's ids (what every run's intervention positions index).
    public static func promptIDs(base: ReFTTutorialBase) -> [Int] { base.tokenizer.encode(prompt, addSpecialTokens: true) }

    /// The single training example (prompt, `sequence`), its completion given as ids.
    public static func dataset(sequence: [Int], base: ReFTTutorialBase) throws -> PromptCompletionDataset {
        let promptIDs = promptIDs(base: base)
        let line = try JSONSerialization.data(withJSONObject: ["prompt": prompt, "completion": sequence.map(String.init).joined(separator: " ")])
        return try PromptCompletionDataset(jsonLines: line, origin: "memorisation", encodePrompt: { _ in promptIDs },
                                           encodeCompletion: { $0.split(separator: " ").compactMap { Int($0) } })
    }

    /// Trains a LoReFT of rank `rank` at `layers`, prompt positions `positions` (default `l1`, the
    /// last token), on the single example (prompt, `sequence`), for at most `maxSteps` steps at
    /// `learningRate` (10% warm-up, linear decay), checking greedy decoding every `checkEvery` steps
    /// and stopping once it writes the whole sequence.
    /// - Throws: `ReFTTutorialError.invalidSetting` for a sequence that does not fit the model's positions
    ///   or a bad budget; `ReFTError` for a bad rank, layer or positions.
    public static func run(base: ReFTTutorialBase, layers: [Int], rank: Int = 1, positions: String = "l1", sequence: [Int],
                           maxSteps: Int, checkEvery: Int, learningRate: Float, seed: UInt64) throws -> MemorisationRun {
        let promptIDs = promptIDs(base: base)
        guard !sequence.isEmpty, promptIDs.count + sequence.count <= base.model.configuration.maxPositions else {
            throw ReFTTutorialError.invalidSetting(
                "a sequence of \(sequence.count) after the \(promptIDs.count)-token prompt must fit the model's \(base.model.configuration.maxPositions) positions")
        }
        guard maxSteps >= 1, checkEvery >= 1 else { throw ReFTTutorialError.invalidSetting("the step budget and the check interval must be at least 1") }
        let start = Date()
        let data = try dataset(sequence: sequence, base: base)
        let spec = try ReFTTutorialTraining.loreft(rank: rank, layers: layers, positions: positions)
        let adapter = try ReFTAdapter(spec: spec, model: base.model.configuration, seed: seed)
        let trainer = try ReFTTrainer(model: base.model, adapter: adapter, data: data,
                                      options: ReFTTrainingOptions(epochs: maxSteps, batchSize: 1, learningRate: learningRate, seed: seed))
        var recovered = 0.0
        while trainer.completedEpochs < maxSteps {
            try trainer.train(maxEpochs: checkEvery)
            let plan = try adapter.generationPlan(prompts: [promptIDs])
            let written = try base.model.generate(prompts: [promptIDs], options: GenerationOptions(maxNewTokens: sequence.count), plan: plan)[0]
            recovered = Double(zip(written, sequence).filter { $0 == $1 }.count) / Double(sequence.count)
            if recovered == 1 { break }
        }
        return MemorisationRun(layers: layers, rank: rank, positions: positions, parameterCount: adapter.parameterCount, length: sequence.count,
                               recovered: recovered, steps: trainer.completedEpochs, loss: trainer.history.last?.trainingLoss ?? .nan,
                               finalLoss: try trainer.evaluate(data).loss,
                               teacherForced: try teacherForcedAccuracy(base: base, adapter: adapter, promptIDs: promptIDs, sequence: sequence),
                               seconds: Date().timeIntervalSince(start))
    }

    /// The fraction of `sequence`'s tokens that are the top logit after the prompt and the true tokens
    /// before them, with `adapter` acting as in training.
    public static func teacherForcedAccuracy(base: ReFTTutorialBase, adapter: ReFTAdapter, promptIDs: [Int], sequence: [Int]) throws -> Double {
        try Tensor.withoutGradients {
            let tokens = try TokenBatch([promptIDs + sequence])
            let positions = Array((promptIDs.count - 1)..<(promptIDs.count - 1 + sequence.count))
            let logits = try base.model(tokens, plan: try adapter.plan(tokens: tokens, promptLengths: [promptIDs.count]),
                                        logits: .positions([positions])).logits!.scalars
            let vocabulary = base.model.configuration.vocabularySize
            let right = sequence.indices.filter { row in
                let scores = logits[(row * vocabulary)..<((row + 1) * vocabulary)]
                return scores.indices.max { scores[$0] < scores[$1] } == row * vocabulary + sequence[row]
            }.count
            return Double(right) / Double(sequence.count)
        }
    }
}
