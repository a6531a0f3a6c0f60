import Foundation
import Interventions
import Tensors
import Testing
@testable import Transformers

@Suite("Language-model training")
struct TrainingTests {
    /// Windows of a repeating toy corpus (a short cycle of tokens, with one noisy variant).
    static func corpusBatches(count: Int, batch: Int, length: Int, seed: UInt64) throws -> [TokenBatch] {
        let cycle = [1, 5, 9, 2, 7, 3, 8, 4]
        var generator = SeededGenerator(seed: seed)
        return try (0..<count).map { _ in
            try TokenBatch((0..<batch).map { _ in
                let start = generator.nextInt(below: cycle.count)
                return (0..<length).map { cycle[(start + $0) % cycle.count] }
            })
        }
    }

    @Test("pretraining a tiny model from scratch lowers the loss, for both families")
    func trainingLowersLoss() throws {
        for configuration in [try TinyModels.llama(), try TinyModels.gpt2()] {
            let model = try Transformer(configuration: configuration, seed: 3)
            let trainer = try LanguageModelTrainer(model: model, learningRate: 1e-2, warmupSteps: 5, totalSteps: 60)
            let batches = try Self.corpusBatches(count: 60, batch: 4, length: 12, seed: 9)
            let held = try Self.corpusBatches(count: 1, batch: 8, length: 12, seed: 10)[0]
            let before = try trainer.evaluate(held)
            var losses: [Float] = []
            for batch in batches { losses.append(try trainer.step(batch)) }
            let after = try trainer.evaluate(held)
            // Uniform over 23 tokens is log 23 ≈ 3.14; the cycle is deterministic after its first token.
            #expect(before > 2.5, "\(configuration.family): initial loss \(before)")
            #expect(after < 0.5, "\(configuration.family): loss \(before) → \(after)")
            #expect(losses.last! < losses.first!)
            #expect(trainer.optimizer.stepCount == 60)
        }
    }

    @Test("the loss counts only labelled positions and equals a direct Float64 cross-entropy")
    func labelledPositionsOnly() throws {
        let model = try Transformer(configuration: TinyModels.llama(), seed: 4, scale: 0.3)
        let tokens = try TokenBatch([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]])
        let labels = [[-100, -100, 3, -100, 5], [-100, 7, -100, -100, -100]]
        let loss = try model.languageModelLoss(tokens, labels: labels).scalar
        let logits = try model(tokens, logits: .all).logits!
        let vocabulary = model.configuration.vocabularySize
        var total = 0.0
        for (example, position, label) in [(0, 1, 3), (0, 3, 5), (1, 0, 7)] {
            let row = logits.scalars[((example * 5 + position) * vocabulary)..<((example * 5 + position + 1) * vocabulary)].map(Double.init)
            let largest = row.max()!
            total += largest + log(row.map { exp($0 - largest) }.reduce(0, +)) - row[label]
        }
        #expect(abs(Double(loss) - total / 3) < 1e-5)
        // Changing a token whose next label is ignored and that no labelled position sees leaves the loss unchanged.
        let changedLast = try TokenBatch([[1, 2, 3, 4, 11], [6, 7, 8, 9, 10]])
        #expect(try model.languageModelLoss(changedLast, labels: labels).scalar == loss)
        #expect(throws: TransformerError.self) { _ = try model.languageModelLoss(tokens, labels: [[1, 2]]) }
        // Default labels ignore left padding; a padded row's loss is the unpadded row's.
        let padded = try TokenBatch.leftPadded([[1, 2, 3, 4, 5], [6, 7, 8]])
        #expect(padded.defaultLabels == [[-100, 2, 3, 4, 5], [-100, -100, -100, 7, 8]])
        let alone = try model.languageModelLoss(TokenBatch([[6, 7, 8]]), labels: [[6, 7, 8]]).scalar
        let paddedOnly = try model.languageModelLoss(padded, labels: [[-100, -100, -100, -100, -100], padded.defaultLabels[1]]).scalar
        #expect(abs(alone - paddedOnly) < 1e-5)
    }

    @Test("a frozen model records no weight gradient; a trainable intervention gets one")
    func frozenModel() throws {
        let model = try Transformer(configuration: TinyModels.gpt2(), seed: 4, scale: 0.3)
        model.freeze()
        let site = Site(layer: 0, component: .blockOutput)
        let tokens = try TokenBatch([[1, 2, 3, 4], [5, 6, 7, 8]])
        let source = try model(try TokenBatch([[9, 10, 11, 12], [13, 14, 15, 16]]), collecting: [site], logits: .none).collected[site]!
        let intervention = try RotatedSpaceIntervention(
            rotation: Rotation(rank: 16, dimension: 16, seed: 2), mask: try SubspacePartition(sizes: [4], rank: 16))
        var plan = InterventionPlan()
        plan.intervene(at: site, with: intervention, sources: [source], positions: [[1, 3], [2]])
        let loss = try model.languageModelLoss(tokens, labels: [[1, 2, 3, 4], [5, 6, 7, 8]], plan: plan)
        try loss.backward()
        #expect(model.parameters.allSatisfy { $0.gradient == nil && !$0.requiresGradient })
        #expect(intervention.parameters.contains { $0.gradient != nil })
        #expect(throws: TransformerError.self) { _ = try LanguageModelTrainer(model: model, learningRate: 1e-3, warmupSteps: 0, totalSteps: 1) }
    }

    @Test("a NaN loss throws naming the step, before any update")
    func nonFiniteLoss() throws {
        let model = try Transformer(configuration: TinyModels.llama(), seed: 4)
        let trainer = try LanguageModelTrainer(model: model, learningRate: 1e-3, warmupSteps: 0, totalSteps: 10)
        let batch = try TokenBatch([[1, 2, 3]])
        try trainer.step(batch)
        model.finalNorm.weight.scalars[0] = .nan
        #expect { try trainer.step(batch) } throws: { error in
            guard case .nonFiniteLoss(let step, _) = error as? TransformerError else { return false }
            return step == 1 && "\(error)".contains("step 1")
        }
        #expect(trainer.optimizer.stepCount == 1)
    }
}
