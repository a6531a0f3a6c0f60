import Foundation
import Interventions
import Tensors
import Testing
import TestSupport
@testable import Transformers

@Suite("KV-cache generation")
struct GenerationTests {
    /// Decoding step by step through the cache gives the logits of a full uncached forward over the
    /// whole (left-padded) sequence, to 1e-4, at every new position of every row.
    static func expectCachedEqualsUncached(_ model: Transformer, prompts: [[Int]], continuation: [[Int]]) throws {
        let vocabulary = model.configuration.vocabularySize
        let cache = KeyValueCache(layerCount: model.configuration.layerCount)
        var stepLogits = [try model(TokenBatch.leftPadded(prompts), logits: .last, cache: cache).logits!]
        for step in 0..<continuation[0].count {
            stepLogits.append(try model(TokenBatch(continuation.map { [$0[step]] }), logits: .last, cache: cache).logits!)
        }
        #expect(cache.length == prompts.map(\.count).max()! + continuation[0].count)
        let full = try TokenBatch.leftPadded(zip(prompts, continuation).map { $0 + $1 })
        let uncached = try model(full, logits: .all).logits!
        var largest: Float = 0
        for (step, logits) in stepLogits.enumerated() {
            let position = full.length - continuation[0].count - 1 + step
            for row in 0..<prompts.count {
                for v in 0..<vocabulary {
                    let a = logits.scalars[row * vocabulary + v]
                    let b = uncached.scalars[(row * full.length + position) * vocabulary + v]
                    largest = max(largest, abs(a - b))
                }
            }
        }
        #expect(largest <= 1e-4, "\(model.configuration.modelType): cached and uncached logits differ by \(largest)")
    }

    @Test("cached logits equal an uncached recomputation: one prompt, and a padded batch of 3 lengths")
    func cachedEqualsUncached() throws {
        for model in try TinyModels.all() + [try Fixtures.model("llama-gqa"), try Fixtures.model("gpt2")] {
            try Self.expectCachedEqualsUncached(model, prompts: [[3, 1, 4, 1, 5]], continuation: [[9, 2, 6, 5]])
            try Self.expectCachedEqualsUncached(model, prompts: [[3, 1, 4, 1, 5, 9, 2], [6, 5], [3, 5, 8, 9]],
                                                continuation: [[7, 9, 3], [2, 3, 8], [4, 6, 2]])
        }
    }

    @Test("batched greedy generation equals each prompt generated alone", arguments: ["qwen2-bias", "gpt2", "llama-gqa"])
    func batchedEqualsAlone(name: String) throws {
        let model = try Fixtures.model(name)
        let prompts = [[5, 17, 33, 2, 8], [40], [7, 7, 100]]
        let options = GenerationOptions(maxNewTokens: 6)
        let batched = try model.generate(prompts: prompts, options: options)
        for (prompt, tokens) in zip(prompts, batched) {
            #expect(try model.generate(prompts: [prompt], options: options)[0] == tokens)
        }
    }

    @Test("sampling is reproducible by seed, differs across seeds, and top-k = 1 is greedy")
    func sampling() throws {
        let model = try Transformer(configuration: TinyModels.llama(), seed: 5, scale: 0.3)
        let prompts = [[1, 2, 3], [4, 5]]
        func run(_ sampling: Sampling) throws -> [[Int]] {
            try model.generate(prompts: prompts, options: GenerationOptions(maxNewTokens: 12, sampling: sampling))
        }
        let first = try run(.sample(temperature: 1.5, seed: 42))
        #expect(try run(.sample(temperature: 1.5, seed: 42)) == first)
        #expect(try run(.sample(temperature: 1.5, seed: 43)) != first)
        #expect(try run(.sample(temperature: 0.7, topK: 1, seed: 7)) == (try run(.greedy)))
        #expect(try run(.sample(topP: 1e-6, seed: 7)) == (try run(.greedy)))
        // top-k = 3 only ever picks one of the three highest logits.
        let sampler = try TokenSampler(.sample(topK: 3, seed: 1))
        var copy = sampler
        let logits: [Float] = [0.1, 5, 0.2, 4.9, 4.8, -1]
        for _ in 0..<200 { #expect([1, 3, 4].contains(copy.next(logits[...]))) }
        // top-p = 0.9 over probabilities (0.5, 0.3, 0.15, 0.05) keeps the first three.
        var nucleus = try TokenSampler(.sample(topP: 0.9, seed: 3))
        let probabilities: [Float] = [0.5, 0.3, 0.15, 0.05].map { Float(log(Double($0))) }
        var seen = Set<Int>()
        for _ in 0..<400 { seen.insert(nucleus.next(probabilities[...])) }
        #expect(seen == [0, 1, 2])
        #expect(throws: TransformerError.self) { _ = try TokenSampler(.sample(temperature: 0, seed: 1)) }
        #expect(throws: TransformerError.self) { _ = try TokenSampler(.sample(topP: 1.5, seed: 1)) }
    }

    @Test("a stop token ends that prompt's generation (kept), the others continue; tokens stream in order")
    func stopTokens() throws {
        let model = try Fixtures.model("gpt2")
        let prompts = [[5, 17, 33, 2, 8], [40, 41]]
        let free = try model.generate(prompts: prompts, options: GenerationOptions(maxNewTokens: 8))
        let stop = free[0][2]
        var streamed = [[Int]](repeating: [], count: 2)
        let stopped = try model.generate(prompts: prompts, options: GenerationOptions(maxNewTokens: 8, stopTokens: [stop])) { prompt, token in
            streamed[prompt].append(token)
        }
        #expect(stopped[0] == Array(free[0].prefix(through: free[0].firstIndex(of: stop)!)))
        #expect(stopped[1] == Array(free[1].prefix(through: free[1].firstIndex(of: stop) ?? 7)))
        #expect(streamed == stopped)
        #expect(free.allSatisfy { $0.count == 8 })
    }

    @Test("generation records no gradient, though the parameters require one")
    func noGradientGeneration() throws {
        let model = try Transformer(configuration: TinyModels.llama(), seed: 5)
        #expect(model.parameters.allSatisfy { $0.requiresGradient })
        var recording: [Bool] = []
        _ = try model.generate(prompts: [[1, 2]], options: GenerationOptions(maxNewTokens: 3)) { _, _ in
            recording.append(Tensor.isRecordingGradients)
        }
        #expect(recording == [false, false, false])
        #expect(Tensor.isRecordingGradients)
        let cache = KeyValueCache(layerCount: 2)
        let logits = try Tensor.withoutGradients { try model(TokenBatch([[1, 2]]), cache: cache).logits! }
        #expect(!logits.requiresGradient && cache.keys.allSatisfy { $0?.requiresGradient == false })
    }

    @Test("a prefill through a cache, while recording, gives the same gradients as one without")
    func prefillGradients() throws {
        let model = try Transformer(configuration: TinyModels.llama(), seed: 8, scale: 0.3)
        let tokens = try TokenBatch([[1, 2, 3, 4]])
        func gradient(cache: KeyValueCache?) throws -> [Float] {
            model.parameters.forEach { $0.zeroGradient() }
            try (model(tokens, cache: cache).logits! * Tensor.normal(shape: [1, 4, 23], seed: 3)).sum().backward()
            return model.layers[0].attention.key.weight.gradient!.scalars
        }
        let plain = try gradient(cache: nil)
        #expect(close(try gradient(cache: KeyValueCache(layerCount: 2)), plain, tolerance: 1e-6))
        #expect(plain.contains { $0 != 0 })
    }

    @Test("a plan at prefill changes the generated tokens; GPT-2's position table bounds the length")
    func prefillPlanAndBounds() throws {
        let model = try Fixtures.model("gpt2")
        var plan = InterventionPlan()
        plan.intervene(at: Site(layer: 2, component: .blockOutput), with: try ZeroIntervention(width: 48, dimensions: Array(0..<48)),
                       sources: [], positions: [[4]])
        let options = GenerationOptions(maxNewTokens: 4)
        let prompt = [[5, 17, 33, 2, 8]]
        let plain = try model.generate(prompts: prompt, options: options)
        let intervened = try model.generate(prompts: prompt, options: options, plan: plan)
        #expect(plain != intervened)
        #expect { _ = try model.generate(prompts: prompt, options: GenerationOptions(maxNewTokens: 60)) } throws: {
            "\($0)".contains("64 positions")
        }
    }
}
