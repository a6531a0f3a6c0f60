import Foundation
import ReFT
import Tensors
import Transformers

/// One adapter of the ReFT-against-LoRA comparison, trained on the same examples as the others.
public struct AdapterComparisonPoint: Sendable, Equatable {
    /// `LoReFT` or `LoRA`.
    public let method: String
    public let rank: Int
    public let trainableParameters: Int
    /// The learning rate chosen on the validation split.
    public let learningRate: Float
    /// The validation score it was chosen on (exact-match rate).
    public let validation: Double
    /// The held-out scores.
    public let test: StyleScore
}

/// Trains LoReFT and LoRA adapters of several ranks on the same style examples and scores them on
/// the same held-out prompts: task accuracy against trainable parameters (issue 9, point 10).
public enum ReFTAgainstLoRA {
    /// What both methods are given.
    public struct Setup: Sendable {
        public var style: AnswerStyle = .opensWithWell
        /// LoReFT: the layers and positions of every rank.
        public var reftLayers = [0, 1, 2, 3], reftPositions = "f1+l1"
        /// LoRA: the layers and projections adapted (α = 2r, as is common).
        public var loraLayers = [0, 1, 2, 3], loraTargets: [LoRATarget] = [.query, .value]
        /// Each run's learning rate is the best of these on the validation split.
        public var learningRates: [Float] = [3e-3, 1e-2, 3e-2]
        public var epochs = 150
        public var seed: UInt64 = 0
        public init() {}
    }

    /// One point per (method, rank): LoReFT at `reftRanks`, LoRA at `loraRanks`.
    /// `progress` receives one line per finished point.
    public static func run(base: ReFTTutorialBase, splits: StyleTaskSplits, setup: Setup, reftRanks: [Int], loraRanks: [Int],
                           progress: ((AdapterComparisonPoint) -> Void)? = nil) throws -> [AdapterComparisonPoint] {
        let training = try ReFTTutorialTraining.dataset(splits.training, style: setup.style, base: base)
        func options(_ rate: Float) -> ReFTTrainingOptions {
            ReFTTrainingOptions(epochs: setup.epochs, batchSize: splits.training.count, learningRate: rate, seed: setup.seed)
        }
        var points: [AdapterComparisonPoint] = []
        for rank in reftRanks {
            var best: (rate: Float, adapter: ReFTAdapter, score: Double)?
            for rate in setup.learningRates {
                let spec = try ReFTTutorialTraining.loreft(rank: rank, layers: setup.reftLayers, positions: setup.reftPositions)
                let adapter = try ReFTAdapter(spec: spec, model: base.model.configuration, seed: setup.seed)
                try ReFTTutorialTraining.train(adapter, on: training, base: base, options: options(rate))
                let score = try ReFTTutorialTraining.score(splits.validation, style: setup.style, base: base,
                                                           plan: ReFTTutorialTraining.planMaker([adapter])).exactRate
                if best == nil || score > best!.score { best = (rate, adapter, score) }
            }
            let test = try ReFTTutorialTraining.score(splits.test, style: setup.style, base: base, plan: ReFTTutorialTraining.planMaker([best!.adapter]))
            points.append(AdapterComparisonPoint(method: "LoReFT", rank: rank, trainableParameters: best!.adapter.parameterCount,
                                                 learningRate: best!.rate, validation: best!.score, test: test))
            progress?(points.last!)
        }
        for rank in loraRanks {
            var best: (rate: Float, score: Double, parameters: Int, test: StyleScore)?
            for rate in setup.learningRates {
                // LoRA merges into the model's own weights: each adapter is unmerged before the next is bound.
                let spec = LoRASpec(rank: rank, alpha: Float(2 * rank), layers: .list(setup.loraLayers), targets: setup.loraTargets)
                let adapter = try LoRAAdapter(spec: spec, model: base.model, seed: setup.seed)
                defer { adapter.unmerge() }
                try ReFTTutorialTraining.train(adapter, on: training, base: base, options: options(rate))
                adapter.isTraining = false
                try adapter.prepareForward()
                let score = try ReFTTutorialTraining.score(splits.validation, style: setup.style, base: base).exactRate
                if best == nil || score > best!.score {
                    best = (rate, score, adapter.parameterCount, try ReFTTutorialTraining.score(splits.test, style: setup.style, base: base))
                }
            }
            points.append(AdapterComparisonPoint(method: "LoRA", rank: rank, trainableParameters: best!.parameters,
                                                 learningRate: best!.rate, validation: best!.score, test: best!.test))
            progress?(points.last!)
        }
        return points
    }
}
