import Foundation
import ReFT
import Tensors
import Testing
import Tokenizers
import Transformers

@Suite("ReFT trainer")
struct TrainerTests {
    static func setting(width: Int = 16) throws -> (TransformerConfiguration, PromptCompletionDataset, PromptCompletionDataset) {
        let tokenizer = try PromptCompletionDatasetTests.tokenizer()
        let configuration = try TransformerConfiguration(
            family: .gpt2, vocabularySize: tokenizer.vocabularySize, hiddenSize: width, layerCount: 3, headCount: 4,
            intermediateSize: 32, maxPositions: 64, tiedEmbeddings: true)
        func dataset(_ pairs: [(String, String)], _ origin: String) throws -> PromptCompletionDataset {
            let lines = pairs.map { #"{"prompt": "\#($0.0)", "completion": "\#($0.1)"}"# }.joined(separator: "\n")
            return try PromptCompletionDataset(jsonLines: Data(lines.utf8), origin: origin, template: "Fruit {prompt}:",
                                               encodePrompt: { tokenizer.encode($0, addSpecialTokens: true) },
                                               encodeCompletion: { tokenizer.encode($0, addSpecialTokens: false) })
        }
        let train = try dataset([("red", " apple"), ("yellow", " banana"), ("green", " pear"), ("purple", " plum"), ("orange", " orange")], "train.jsonl")
        let held = try dataset([("red", " apple"), ("green", " pear"), ("blue", " plum")], "validation.jsonl")
        return (configuration, train, held)
    }

    static func spec(dropout: Float = 0.1, layers: String = "0,2", rank: Int = 2) throws -> ReFTSpec {
        ReFTSpec(kind: .loreft, rank: rank, layers: try LayerSpec(parsing: layers), positions: try PositionSpec(parsing: "f1+l1"), dropout: dropout)
    }

    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("reft-trainer-\(UUID().uuidString)")
    }

    @Test("resuming after epoch 1 of 3 gives bit-identical parameters, moments and history to an uninterrupted run")
    func resumeIsExact() throws {
        let (configuration, data, held) = try Self.setting()
        let options = ReFTTrainingOptions(epochs: 3, batchSize: 2, learningRate: 2e-2, warmupRatio: 0.2, weightDecay: 0.01, seed: 9)
        let model = try Transformer(configuration: configuration, seed: 4, scale: 0.2)
        let full = try ReFTTrainer(model: model, adapter: try ReFTAdapter(spec: Self.spec(), model: configuration, seed: 1),
                                   data: data, validation: held, options: options)
        try full.train()

        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try ReFTTrainer(model: try Transformer(configuration: configuration, seed: 4, scale: 0.2),
                                    adapter: try ReFTAdapter(spec: Self.spec(), model: configuration, seed: 1),
                                    data: data, validation: held, options: options)
        try first.train(savingTo: folder, maxEpochs: 1)
        #expect(first.completedEpochs == 1)
        // A new process: another model instance, an adapter with other initial values.
        let resumed = try ReFTTrainer(model: try Transformer(configuration: configuration, seed: 4, scale: 0.2),
                                      adapter: try ReFTAdapter(spec: Self.spec(), model: configuration, seed: 777),
                                      data: data, validation: held, options: options)
        try resumed.resume(from: folder)
        #expect(resumed.completedEpochs == 1)
        try resumed.train(savingTo: folder)
        #expect(resumed.history == full.history)
        #expect(resumed.optimizer.stepCount == full.optimizer.stepCount)
        for (a, b) in zip(full.adapter.namedParameters, resumed.adapter.namedParameters) {
            #expect(a.name == b.name)
            #expect(a.tensor.scalars == b.tensor.scalars, "\(a.name) differs")
        }
        #expect(full.optimizer.firstMoments == resumed.optimizer.firstMoments)
        #expect(full.optimizer.secondMoments == resumed.optimizer.secondMoments)
        // The folder's adapter is the final one, and loads as such.
        let loaded = try ReFTAdapter.load(from: folder, for: configuration)
        for (a, b) in zip(full.adapter.namedParameters, loaded.namedParameters) { #expect(a.tensor.scalars == b.tensor.scalars) }
        // Without the dropout reseeding or the moments, the runs would differ: check the test can fail.
        let other = ReFTTrainingOptions(epochs: 3, batchSize: 2, learningRate: 2e-2, warmupRatio: 0.2, weightDecay: 0.01, seed: 10)
        let differentSeed = try ReFTTrainer(model: model, adapter: try ReFTAdapter(spec: Self.spec(), model: configuration, seed: 1),
                                            data: data, options: other)
        try differentSeed.train()
        #expect(differentSeed.adapter.parameters[0].scalars != full.adapter.parameters[0].scalars)
    }

    @Test("resume refuses other settings, other data and a changed adapter file")
    func resumeRefusesMismatches() throws {
        let (configuration, data, _) = try Self.setting()
        let options = ReFTTrainingOptions(epochs: 2, batchSize: 2, learningRate: 1e-2, seed: 3)
        let model = try Transformer(configuration: configuration, seed: 4, scale: 0.2)
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let trainer = try ReFTTrainer(model: model, adapter: try ReFTAdapter(spec: Self.spec(), model: configuration, seed: 1),
                                      data: data, options: options)
        try trainer.train(savingTo: folder, maxEpochs: 1)
        var changed = options
        changed.learningRate = 5e-3
        let wrongOptions = try ReFTTrainer(model: model, adapter: try ReFTAdapter(spec: Self.spec(), model: configuration, seed: 1),
                                           data: data, options: changed)
        #expect { try wrongOptions.resume(from: folder) } throws: { "\($0)".contains("other settings") }
        let emptyFolder = Self.folder()
        #expect { try wrongOptions.resume(from: emptyFolder) } throws: { "\($0)".contains("training-state.json is missing") }
        let weights = folder.appendingPathComponent("adapter.safetensors")
        var bytes = try Data(contentsOf: weights)
        bytes[bytes.count - 1] ^= 1
        try bytes.write(to: weights)
        let sameOptions = try ReFTTrainer(model: model, adapter: try ReFTAdapter(spec: Self.spec(), model: configuration, seed: 1),
                                          data: data, options: options)
        #expect { try sameOptions.resume(from: folder) } throws: { "\($0)".contains("changed since the training state was saved") }
    }

    @Test("a NaN loss stops training with a message naming the step; the last saved adapter is kept")
    func nonFiniteLossStops() throws {
        let (configuration, data, _) = try Self.setting()
        let model = try Transformer(configuration: configuration, seed: 4, scale: 0.2)
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let options = ReFTTrainingOptions(epochs: 3, batchSize: 2, learningRate: 1e-2)
        let trainer = try ReFTTrainer(model: model, adapter: try ReFTAdapter(spec: Self.spec(), model: configuration, seed: 1),
                                      data: data, options: options)
        try trainer.train(savingTo: folder, maxEpochs: 1)
        let saved = try Data(contentsOf: folder.appendingPathComponent("adapter.safetensors"))
        let savedState = try Data(contentsOf: folder.appendingPathComponent("training-state.json"))
        let before = trainer.adapter.parameters.map(\.scalars)
        model.finalNorm.weight.scalars[0] = .nan
        #expect {
            try trainer.train(savingTo: folder)
        } throws: { error in
            guard case let ReFTError.nonFiniteLoss(epoch, step, loss) = error else { return false }
            return epoch == 2 && step == 4 && loss.isNaN && "\(error)".contains("the adapter saved after the last finished epoch is kept")
        }
        #expect(try Data(contentsOf: folder.appendingPathComponent("adapter.safetensors")) == saved)
        #expect(try Data(contentsOf: folder.appendingPathComponent("training-state.json")) == savedState)
        #expect(trainer.adapter.parameters.map(\.scalars) == before, "the failing step changed nothing")
    }

    @Test("training lowers the held-out loss and learns the training set; accuracy equals greedy exact match")
    func validationLossAndAccuracy() throws {
        let (configuration, data, held) = try Self.setting(width: 64)
        let model = try Transformer(configuration: configuration, seed: 4, scale: 0.2)
        let options = ReFTTrainingOptions(epochs: 40, batchSize: 2, learningRate: 5e-2, warmupRatio: 0, seed: 2)
        let trainer = try ReFTTrainer(model: model, adapter: try ReFTAdapter(spec: Self.spec(dropout: 0, layers: "all", rank: 4), model: configuration, seed: 1),
                                      data: data, validation: held, options: options)
        let start = try trainer.evaluate(held), untrained = try trainer.evaluate(data)
        try trainer.train()
        let end = try #require(trainer.history.last?.validation)
        #expect(end.loss < start.loss - 0.5, "\(start.loss) → \(end.loss)")
        #expect(trainer.history.count == 40)
        // Teacher-forced exact match equals greedy exact match: if greedy decoding reproduces the
        // completion, every teacher-forced argmax was right, and conversely.
        for dataset in [data, held] {
            var hits = 0
            for example in dataset.examples {
                let generated = try model.generate(prompts: [example.prompt], options: GenerationOptions(maxNewTokens: example.completion.count),
                                                   plan: trainer.adapter.generationPlan(prompts: [example.prompt]))
                if generated[0] == example.completion { hits += 1 }
            }
            let evaluation = try trainer.evaluate(dataset)
            #expect(evaluation.accuracy == Float(hits) / Float(dataset.examples.count))
            #expect(evaluation.examples == dataset.examples.count)
        }
        let trained = try trainer.evaluate(data)
        #expect(trained.accuracy >= 0.6 && trained.accuracy > untrained.accuracy, "\(untrained) → \(trained)")
    }

    @Test("backward work: no base weight gradient, and nothing below the lowest intervened layer")
    func backwardDoesOnlyWhatTheGradientNeeds() throws {
        let (configuration, data, _) = try Self.setting()
        let model = try Transformer(configuration: configuration, seed: 4, scale: 0.2)
        let batch = try data.batches(size: 5)[0]
        func backwardProducts(layers: String) throws -> Int {
            let adapter = try ReFTAdapter(spec: Self.spec(dropout: 0, layers: layers), model: configuration, seed: 1)
            let loss = try model.languageModelLoss(batch.tokens, labels: batch.labels,
                                                   plan: adapter.plan(tokens: batch.tokens, promptLengths: batch.promptLengths))
            let count = try MatrixProductCounter.countingProducts { try loss.backward() }
            #expect(adapter.parameters.allSatisfy { $0.gradient != nil })
            return count
        }
        model.freeze()
        let top = try backwardProducts(layers: "2"), middle = try backwardProducts(layers: "1"), bottom = try backwardProducts(layers: "0")
        #expect(model.parameters.allSatisfy { $0.gradient == nil }, "a frozen base records no weight gradient")
        // Each layer the gradient passes through costs the same; below the lowest intervened layer nothing happens.
        #expect(top < middle && middle < bottom)
        #expect(middle - top == bottom - middle, "\(top), \(middle), \(bottom)")
        // Unfrozen, the same pass computes the weight gradients as well: more products.
        model.unfreeze()
        defer { model.freeze() }
        #expect(try backwardProducts(layers: "2") > top)
    }

    @Test("Adam restored from its saved state continues exactly as an uninterrupted one, schedule included")
    func restoredAdamContinuesExactly() throws {
        let schedule = LearningRateSchedule.linearWarmupThenDecay(warmupSteps: 2, totalSteps: 6)
        let a = try Tensor(shape: [3], scalars: [0.5, -1, 2], requiresGradient: true)
        let b = try Tensor(shape: [3], scalars: [0.5, -1, 2], requiresGradient: true)
        let uninterrupted = Adam.adamW(parameters: [a], learningRate: 0.1, weightDecay: 0.05, schedule: schedule)
        var resumed = Adam.adamW(parameters: [b], learningRate: 0.1, weightDecay: 0.05, schedule: schedule)
        for step in 0..<6 {
            if step == 3 {
                // A new optimizer, as after `--resume`, given the state the first one had saved.
                let saved = resumed
                resumed = Adam.adamW(parameters: [b], learningRate: 0.1, weightDecay: 0.05, schedule: schedule)
                try resumed.restore(stepCount: saved.stepCount, firstMoments: saved.firstMoments, secondMoments: saved.secondMoments)
            }
            for (tensor, optimizer) in [(a, uninterrupted), (b, resumed)] {
                optimizer.zeroGradients()
                let weights = try Tensor(shape: [3], scalars: [1, Float(step) - 2, 0.3])
                try ((tensor * tensor) * weights).sum().backward()
                optimizer.step()
            }
            #expect(a.scalars == b.scalars, "step \(step)")
        }
        #expect(throws: TensorError.self) { try resumed.restore(stepCount: 1, firstMoments: [[0]], secondMoments: [[0]]) }
    }
}
