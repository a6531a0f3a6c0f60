import Foundation
import ReFT
import Tensors
import Tokenizers
import Testing
import Transformers

@Suite("ReFT end to end")
struct EndToEndTests {
    @Test("train on a JSON Lines file, save, load, generate: the loaded adapter generates what the trained one does")
    func trainSaveLoadGenerate() throws {
        let tokenizer = try PromptCompletionDatasetTests.tokenizer()
        let configuration = try TransformerConfiguration(
            family: .gpt2, vocabularySize: tokenizer.vocabularySize, hiddenSize: 16, layerCount: 2, headCount: 4,
            intermediateSize: 32, maxPositions: 64, tiedEmbeddings: true)
        let model = try Transformer(configuration: configuration, seed: 4, scale: 0.2)
        model.freeze()
        let lines = [("red", " apple"), ("yellow", " banana"), ("green", " pear"), ("purple", " plum")]
            .map { #"{"prompt": "\#($0.0)", "completion": "\#($0.1)"}"# }.joined(separator: "\n")
        let data = try PromptCompletionDataset(jsonLines: Data(lines.utf8), origin: "fruit.jsonl", template: "Fruit {prompt}:",
                                               encodePrompt: { tokenizer.encode($0, addSpecialTokens: true) },
                                               encodeCompletion: { tokenizer.encode($0, addSpecialTokens: false) })
        let spec = ReFTSpec(kind: .loreft, rank: 4, layers: try LayerSpec(parsing: "all"),
                            positions: try PositionSpec(parsing: "f1+l1"), dropout: 0.05)
        let adapter = try ReFTAdapter(spec: spec, model: configuration, seed: 42)
        let optimizer = Adam(parameters: adapter.parameters, learningRate: 2e-2)
        func loss(_ batch: PromptCompletionBatch) throws -> Tensor {
            try model.languageModelLoss(batch.tokens, labels: batch.labels,
                                        plan: adapter.plan(tokens: batch.tokens, promptLengths: batch.promptLengths))
        }
        let all = try data.batches(size: 4)[0]
        let before = try loss(all).scalar
        adapter.isTraining = true
        for epoch in 0..<30 {
            for batch in try data.batches(size: 2, shuffleSeed: UInt64(epoch)) {
                optimizer.zeroGradients()
                try loss(batch).backward()
                try adapter.willStep()
                optimizer.step()
                try adapter.didStep()
            }
        }
        adapter.isTraining = false
        let after = try loss(all).scalar
        #expect(after < before - 0.5, "loss \(before) → \(after)")

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reft-e2e-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try adapter.save(to: folder)
        let loaded = try ReFTAdapter.load(from: folder, for: model)
        let prompts = data.examples.map(\.prompt)
        let options = GenerationOptions(maxNewTokens: 4)
        let trained = try model.generate(prompts: prompts, options: options, plan: adapter.generationPlan(prompts: prompts))
        let reloaded = try model.generate(prompts: prompts, options: options, plan: loaded.generationPlan(prompts: prompts))
        #expect(trained == reloaded)
        #expect(try model.generate(prompts: prompts, options: options) != trained)
    }
}
