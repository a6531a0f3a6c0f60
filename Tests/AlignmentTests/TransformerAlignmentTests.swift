import Alignment
import Foundation
import Interventions
import Randomness
import Tensors
import Testing
import Transformers

/// DAS and activation patching at (site, token position) of a transformer, on a tiny random GPT-2
/// and hand-made prompts of different lengths (so left padding is exercised).
@Suite struct TransformerAlignmentTests {
    static let vocabulary = 40
    static let padToken = 39

    func model(layers: Int = 2, seed: UInt64 = 1) throws -> Transformer {
        let configuration = try TransformerConfiguration(family: .gpt2, vocabularySize: Self.vocabulary, hiddenSize: 16, layerCount: layers,
                                                         headCount: 2, intermediateSize: 32, maxPositions: 16, tiedEmbeddings: true)
        // A larger scale than HF's 0.02, so that positions and tokens actually change the logits.
        return try Transformer(configuration: configuration, seed: seed, scale: 0.3)
    }

    /// `count` base/source pairs of prompts of 5–8 tokens with the slot `X` at index 2 of every prompt
    /// (so that an embedding patch at `X` is the same as swapping the token there).
    func prompts(count: Int, seed: UInt64) -> (bases: [[Int]], sources: [[Int]]) {
        var generator = SeededGenerator(seed: seed)
        func prompt() -> [Int] { (0..<(5 + generator.nextInt(below: 4))).map { _ in generator.nextInt(below: Self.vocabulary - 1) } }
        let bases = (0..<count).map { _ in prompt() }
        let sources = (0..<count).map { _ in prompt() }
        return (bases, sources)
    }

    func named(_ prompt: [Int]) -> [String: Int] { ["X": 2, "last": prompt.count - 1] }

    /// The last-position argmax of each prompt.
    func argmaxes(_ model: Transformer, _ prompts: [[Int]]) throws -> [Int] {
        try Tensor.withoutGradients {
            try model(TokenBatch.leftPadded(prompts, padToken: Self.padToken), logits: .last).logits!.argmaxRows()
        }
    }

    func dataset(_ model: Transformer, count: Int, seed: UInt64, labels: [Int]? = nil) throws -> TokenAlignmentDataset {
        let (bases, sources) = prompts(count: count, seed: seed)
        let sourceAnswers = try argmaxes(model, sources)
        return try TokenAlignmentDataset(name: "V", variables: ["V"], baseIDs: bases, sourceIDs: [sources],
                                         basePositions: bases.map(named), sourcePositions: [sources.map(named)],
                                         labels: labels ?? sourceAnswers, baseLabels: try argmaxes(model, bases))
    }

    func configuration(site: String, method: AlignmentMethod = .boundless, size: Int = 4, seed: UInt64 = 3) -> DASConfiguration {
        DASConfiguration(site: site, variables: ["V"], subspaceSizes: [size], method: method, epochs: 3, batchSize: 8, learningRate: 0.01, seed: seed)
    }

    @Test func representationsAndContinuationsEqualTheFullPass() throws {
        let model = try model()
        let (bases, sources) = prompts(count: 6, seed: 7)
        let tokens = try TokenBatch.leftPadded(bases, padToken: Self.padToken)
        let sourceTokens = try TokenBatch.leftPadded(sources, padToken: Self.padToken)
        for name in ["embedding", "layer.0.block_input", "layer.0.block_output", "layer.1.block_input", "layer.1.block_output", "layer.0.mlp_output"] {
            let site = try Site(parsing: name)
            let full = try model(tokens, collecting: [site], logits: .none).collected[site]!
            let cut = try model.representation(at: site, tokens: tokens)
            #expect(cut.shape == full.shape)
            #expect(zip(cut.scalars, full.scalars).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(name)")
            guard model.isResidualSite(site) else { continue }
            // A positioned interchange at the site: continuing from the cut equals the whole pass.
            let intervention = try RotatedSpaceIntervention(width: 16, subspaceSizes: [5], seed: 2)
            let plan = InterventionPlan(site: site, intervention: intervention, sources: [try model.representation(at: site, tokens: sourceTokens)],
                                        positions: bases.indices.map { [2 + tokens.leftPadding[$0]] },
                                        sourcePositions: [sources.indices.map { [sources[$0].count - 1 + sourceTokens.leftPadding[$0]] }])
            let whole = try model(tokens, plan: plan, logits: .last).logits!
            let continued = try model.continuing(from: site, representation: cut, tokens: tokens, plan: plan, logits: .last)!
            #expect(zip(whole.scalars, continued.scalars).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(name)")
        }
        #expect(throws: InterventionError.self) {
            try model.continuing(from: Site(parsing: "layer.0.attention_output"), representation: Tensor.zeros(shape: [6, 8, 16]), tokens: tokens)
        }
    }

    /// The trainer that caches the frozen representations below the site takes exactly the step of
    /// the one that runs base and sources each time: same loss, same parameters after the step.
    @Test func frozenAndFullStepsAgree() throws {
        let model = try model()
        let data = try dataset(model, count: 8, seed: 11)
        for (site, position) in [("embedding", TokenPosition.slot("X")), ("layer.0.block_input", .last), ("layer.1.block_output", .slot("X")),
                                 ("layer.0.block_output", .index(1))] {
            let full = try TransformerAlignmentSearch(model: model, configuration: configuration(site: site), position: position)
            let cached = try TransformerAlignmentSearch(model: model, configuration: configuration(site: site), position: position)
            full.prepareTraining(totalSteps: 10)
            cached.prepareTraining(totalSteps: 10)
            let batch = try data.batch(rows: Array(0..<8), position: position, padToken: Self.padToken)
            for _ in 0..<2 {
                let a = try full.trainingStep(batch: batch)
                let b = try cached.trainingStep(frozen: cached.frozen(batch))
                #expect(abs(a - b) <= 1e-5 * max(1, abs(a)), "\(site) \(position): \(a) vs \(b)")
            }
            let pa = full.intervention.parameters.flatMap(\.scalars), pb = cached.intervention.parameters.flatMap(\.scalars)
            #expect(pa.count == pb.count && zip(pa, pb).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(site)")
            #expect(((full.intervention as? RotatedSpaceIntervention)?.rotation.orthonormalityError ?? 1) < 1e-4)
        }
        let search = try TransformerAlignmentSearch(model: model, configuration: configuration(site: "layer.0.block_output"), position: .last)
        let batch = try data.batch(rows: [0, 1], position: .last, padToken: Self.padToken)
        #expect(throws: AlignmentError.self) { try search.trainingStep(batch: batch) }   // before prepareTraining
        let inside = try TransformerAlignmentSearch(model: model, configuration: configuration(site: "layer.0.mlp_output"), position: .last)
        #expect(!inside.cachesBelowSite)
        #expect(throws: AlignmentError.self) { try inside.frozen(batch) }
    }

    /// IIA is the argmax agreement of the intervened run: replacing the whole last-layer output at the
    /// last position by the source's gives the source's answer on every example, and changes nothing
    /// when written at another position of the last layer (no later layer reads it).
    @Test func interchangeAccuracyAndPatchingScores() throws {
        let model = try model()
        let data = try dataset(model, count: 24, seed: 5)
        let whole = try InterchangeIntervention(width: 16, dimensions: [Array(0..<16)])
        let last = try Site(parsing: "layer.1.block_output")
        #expect(try TransformerAlignmentSearch.interchangeInterventionAccuracy(of: whole, model: model, site: last, position: .last,
                                                                               on: data, padToken: Self.padToken) == 1)
        let untouched = try TransformerAlignmentSearch.interchangeInterventionAccuracy(of: whole, model: model, site: last, position: .slot("X"),
                                                                                       on: data, padToken: Self.padToken)
        let baseAgreement = Double(zip(data.baseLabels, data.labels).filter { $0 == $1 }.count) / Double(data.count)
        #expect(untouched == baseAgreement)

        // Pairs whose answers differ, for patching.
        let keep = data.labels.indices.filter { data.labels[$0] != data.baseLabels[$0] }
        #expect(keep.count >= 10)
        let pairs = try data.rows(keep)
        let patching = try ActivationPatching(model: model, data: pairs, padToken: Self.padToken)
        let full = try patching.score(site: last, position: .last)
        #expect(abs(full.fractionRestored - 1) < 1e-5 && full.flipRate == 1)
        let none = try patching.score(site: last, position: .slot("X"))
        #expect(abs(none.fractionRestored) < 1e-5 && none.flipRate == 0)

        // At the embedding, patching slot X (index 2 in every prompt) is swapping the token there: the
        // fraction restored, computed directly in Float64 from the swapped prompts, is the same.
        let swapped = keep.map { row -> [Int] in var prompt = data.baseIDs[row]; prompt[2] = data.sourceIDs[0][row][2]; return prompt }
        func meanDifference(_ prompts: [[Int]]) throws -> Double {
            let logits = try Tensor.withoutGradients { try model(TokenBatch.leftPadded(prompts, padToken: Self.padToken), logits: .last).logits! }
            let v = logits.shape[1]
            return prompts.indices.map { Double(logits.scalars[$0 * v + pairs.labels[$0]]) - Double(logits.scalars[$0 * v + pairs.baseLabels[$0]]) }
                .reduce(0, +) / Double(prompts.count)
        }
        let (patched, base, source) = (try meanDifference(swapped), try meanDifference(pairs.baseIDs), try meanDifference(pairs.sourceIDs[0]))
        let expected = (patched - base) / (source - base)
        let embedding = try patching.score(site: .embedding, position: .slot("X"))
        #expect(abs(embedding.fractionRestored - expected) < 1e-4, "\(embedding.fractionRestored) vs \(expected)")
        #expect(abs(patching.meanBaseDifference - base) < 1e-4 && abs(patching.meanSourceDifference - source) < 1e-4)
    }

    /// Boundless DAS trains (the loss falls) toward a signal planted at the last position of the last
    /// layer, and its learned size counts the coordinates whose mask ends above 0.5.
    @Test func boundlessDASTrainsAndReportsItsLearnedSize() throws {
        let model = try model()
        let data = try dataset(model, count: 64, seed: 9)
        var setup = configuration(site: "layer.1.block_output", size: 2)
        setup.epochs = 8
        setup.learningRate = 0.05
        let search = try TransformerAlignmentSearch(model: model, configuration: setup, position: .last)
        let before = try search.interchangeInterventionAccuracy(on: data, padToken: Self.padToken)
        try search.train(on: data, padToken: Self.padToken)
        let after = try search.interchangeInterventionAccuracy(on: data, padToken: Self.padToken)
        #expect(search.epochLosses.count == 8 && search.epochLosses.last! < search.epochLosses.first!, "\(search.epochLosses)")
        #expect(after > before, "IIA \(before) → \(after)")
        let size = try #require(search.learnedSubspaceSize)
        #expect((0...16).contains(size))
        // Set by hand: the interval [−0.5, 3.5] at the final temperature 0.1 covers coordinates 0…3.
        let mask = try #require((search.intervention as? RotatedSpaceIntervention)?.mask as? BoundlessMask)
        mask.boundaries.scalars = [-0.5, 3.5]
        #expect(search.learnedSubspaceSize == 4)
        mask.boundaries.scalars = [2.6, 9.4]
        #expect(search.learnedSubspaceSize == 7)   // 3…9
        // Other methods have no learned size.
        let rotation = try TransformerAlignmentSearch(model: model, configuration: configuration(site: "layer.1.block_output", method: .rotation), position: .last)
        #expect(rotation.learnedSubspaceSize == nil)
    }

    @Test func positionsAreResolvedByNameOrRefused() throws {
        #expect(TokenPosition(parsing: "last") == .last && TokenPosition(parsing: "3") == .index(3) && TokenPosition(parsing: "X") == .slot("X"))
        #expect(try TokenPosition.slot("X").resolve(named: ["X": 4, "last": 9], length: 10) == 4)
        #expect(try TokenPosition.last.resolve(named: [:], length: 10) == 9)
        let unknown = #expect(throws: AlignmentError.self) { try TokenPosition.slot("W").resolve(named: ["X": 4, "last": 9], length: 10) }
        #expect(unknown?.description.contains("position W is not in the prompt; it has X, last") == true)
        let outside = #expect(throws: AlignmentError.self) { try TokenPosition.index(10).resolve(named: [:], length: 10) }
        #expect(outside?.description.contains("position 10 is outside the prompt's 10 tokens") == true)
    }
}
