import CausalModels
import Interventions
import Networks
import Randomness
import Tensors
import TokenTasks
import Transformers

/// Activation patching, the classic grid: the whole representation at one (site, position) of a
/// base prompt is replaced by the source prompt's at the same position (the same slot in the source),
/// and the score is the fraction of the logit difference that this restores.
///
/// For an example with base answer `b` and source answer `c ≠ b` (the source prompt's own answer),
/// `LD = logit(c) − logit(b)` at the last position. With `LD_base`, `LD_source` and `LD_patched` the
/// differences of the base run, the source run and the patched base run, summed over the examples,
///
///     fraction restored = (ΣLD_patched − ΣLD_base) / (ΣLD_source − ΣLD_base)
///
/// 0: the patch changes nothing; 1: it moves the answer's logits as far as the whole source prompt
/// does. The ratio is of sums over examples (equivalently of means), not a mean of per-example ratios,
/// so that one example whose base and source differences happen to be close cannot dominate.
public struct ActivationPatching {
    /// The score of one (site, position).
    public struct Score: Codable, Sendable, Equatable {
        /// `(ΣLD_patched − ΣLD_base) / (ΣLD_source − ΣLD_base)`.
        public var fractionRestored: Double
        /// The fraction of examples whose patched argmax (whole vocabulary) is the source's answer `c`.
        public var flipRate: Double
        /// The mean `LD` of the patched runs.
        public var meanPatchedDifference: Double
    }

    public let model: Transformer
    /// Pairs whose one "variable" is the whole source prompt; `labels` are the sources' answers `c`,
    /// `baseLabels` the bases' answers `b`.
    public let data: TokenAlignmentDataset
    public let padToken: Int
    /// Mean `LD` of the base and of the source runs.
    public let meanBaseDifference: Double, meanSourceDifference: Double

    /// Runs the bases and sources once (no tape).
    /// - Throws: `AlignmentError.invalidConfiguration` for data with no examples or more than one source per example.
    public init(model: Transformer, data: TokenAlignmentDataset, padToken: Int) throws {
        guard data.count > 0, data.variables.count == 1 else {
            throw AlignmentError.invalidConfiguration("activation patching needs pairs of one base and one source prompt, got \(data.count) examples with \(data.variables.count) sources")
        }
        self.model = model
        self.data = data
        self.padToken = padToken
        let base = try Self.differences(model: model, prompts: data.baseIDs, data: data, padToken: padToken)
        let source = try Self.differences(model: model, prompts: data.sourceIDs[0], data: data, padToken: padToken)
        meanBaseDifference = base.reduce(0, +) / Double(data.count)
        meanSourceDifference = source.reduce(0, +) / Double(data.count)
    }

    /// The score of patching the whole representation at (`site`, `position`).
    /// - Throws: `AlignmentError.invalidConfiguration` for a position a prompt lacks; forward-pass errors.
    public func score(site: Site, position: TokenPosition, chunk: Int = 256) throws -> Score {
        let width = model.configuration.hiddenSize
        let patch = try InterchangeIntervention(width: width, dimensions: [Array(0..<width)])
        var total = 0.0, flips = 0
        try TransformerAlignmentSearch.forEachIntervenedChunk(of: patch, model: model, site: site, position: position, on: data,
                                                              padToken: padToken, chunk: chunk) { rows, logits in
            let vocabulary = logits.shape[1]
            let scalars = logits.scalars
            for (index, row) in rows.enumerated() {
                let (c, b) = (data.labels[row], data.baseLabels[row])
                total += Double(scalars[index * vocabulary + c] - scalars[index * vocabulary + b])
            }
            flips += zip(logits.argmaxRows(), rows).filter { $0 == data.labels[$1] }.count
        }
        let meanPatched = total / Double(data.count)
        return Score(fractionRestored: (meanPatched - meanBaseDifference) / (meanSourceDifference - meanBaseDifference),
                     flipRate: Double(flips) / Double(data.count), meanPatchedDifference: meanPatched)
    }

    /// `logit(c) − logit(b)` at the last position of each prompt.
    static func differences(model: Transformer, prompts: [[Int]], data: TokenAlignmentDataset, padToken: Int, chunk: Int = 256) throws -> [Double] {
        try Tensor.withoutGradients {
            var differences: [Double] = []
            for start in stride(from: 0, to: prompts.count, by: chunk) {
                let rows = Array(start..<min(start + chunk, prompts.count))
                let logits = try model(TokenBatch.leftPadded(rows.map { prompts[$0] }, padToken: padToken), logits: .last).logits!
                let vocabulary = logits.shape[1]
                for (index, row) in rows.enumerated() {
                    differences.append(Double(logits.scalars[index * vocabulary + data.labels[row]] - logits.scalars[index * vocabulary + data.baseLabels[row]]))
                }
            }
            return differences
        }
    }

    /// `count` pairs of independently drawn base and source inputs of `encoder`'s task whose answers
    /// differ (the examples with equal answers carry no logit difference to restore).
    /// - Throws: `AlignmentError.invalidConfiguration` when 100 draws per pair do not give `count`.
    public static func pairs(encoder: TokenTaskEncoder, count: Int, seed: UInt64) throws -> TokenAlignmentDataset {
        var generator = SeededGenerator(seed: seed ^ 0x9A7C_41E5)
        var baseIDs: [[Int]] = [], sourceIDs: [[Int]] = [], basePositions: [[String: Int]] = [], sourcePositions: [[String: Int]] = []
        var labels: [Int] = [], baseLabels: [Int] = []
        var draws = 0
        while labels.count < count {
            draws += 1
            guard draws <= 100 * max(count, 1) else {
                throw AlignmentError.invalidConfiguration("task \(encoder.task.name): only \(labels.count) of \(count) prompt pairs with different answers in \(draws - 1) draws")
            }
            let base = try encoder.example(encoder.task.model.sampleInput(using: &generator))
            let source = try encoder.example(encoder.task.model.sampleInput(using: &generator))
            guard base.answer != source.answer else { continue }
            baseIDs.append(base.ids)
            sourceIDs.append(source.ids)
            basePositions.append(base.positions)
            sourcePositions.append(source.positions)
            labels.append(source.answer)
            baseLabels.append(base.answer)
        }
        return try TokenAlignmentDataset(name: "prompt", variables: ["prompt"], baseIDs: baseIDs, sourceIDs: [sourceIDs],
                                         basePositions: basePositions, sourcePositions: [sourcePositions], labels: labels, baseLabels: baseLabels)
    }
}
