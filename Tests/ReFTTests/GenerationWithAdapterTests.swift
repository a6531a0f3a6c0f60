import Foundation
import Interventions
import ReFT
import Tensors
import Testing
import Transformers

@Suite("Generation with an adapter")
struct GenerationWithAdapterTests {
    static func model() throws -> (Transformer, ReFTAdapter, ReFTAdapter) {
        let configuration = try TransformerConfiguration(
            family: .llama, vocabularySize: 50, hiddenSize: 16, layerCount: 3, headCount: 4, keyValueHeadCount: 2,
            intermediateSize: 32, maxPositions: 64, tiedEmbeddings: false)
        let model = try Transformer(configuration: configuration, seed: 8, scale: 0.3)
        model.freeze()
        let first = try ReFTAdapter(spec: ReFTSpec(kind: .loreft, rank: 3, layers: .list([0, 2]), positions: try PositionSpec(parsing: "f1+l2")),
                                    model: configuration, seed: 5)
        let second = try ReFTAdapter(spec: ReFTSpec(kind: .direft, rank: 2, layers: .list([1]), positions: try PositionSpec(parsing: "l1")),
                                     model: configuration, seed: 6)
        // Large enough edits that the adapters change what is generated.
        for parameter in first.parameters + second.parameters where parameter.rank == 1 {
            for index in parameter.scalars.indices { parameter.scalars[index] *= 20 }
        }
        return (model, first, second)
    }

    @Test("cached decoding after an intervened prefill gives the logits of a full recomputation with the same interventions (1e-4)")
    func cachedEqualsFullRecomputation() throws {
        let (model, first, second) = try Self.model()
        let prompts = [[3, 9, 4, 17, 2], [11], [5, 6]]  // left padding for the shorter ones; a 1-token prompt
        for adapters in [[first], [first, second]] {
            let steps = 6
            // The cached path, as `generate` runs it: prefill with the plan, decode steps without.
            let cache = KeyValueCache(layerCount: model.configuration.layerCount)
            let plan = try ReFTAdapter.generationPlan(adapters, prompts: prompts)
            var logits = try Tensor.withoutGradients {
                try model(TokenBatch.leftPadded(prompts), plan: plan, logits: .last, cache: cache).logits!
            }
            var sequences = prompts
            var cached: [[[Float]]] = []  // [step][row][vocab]
            let vocabulary = model.configuration.vocabularySize
            for _ in 0..<steps {
                let rows = (0..<prompts.count).map { Array(logits.scalars[($0 * vocabulary)..<(($0 + 1) * vocabulary)]) }
                cached.append(rows)
                let next = rows.map { row in row.indices.max { row[$0] < row[$1] }! }
                for row in sequences.indices { sequences[row].append(next[row]) }
                logits = try Tensor.withoutGradients { try model(TokenBatch(next.map { [$0] }), logits: .last, cache: cache).logits! }
            }
            // generate() chooses the same tokens.
            let generated = try model.generate(prompts: prompts, options: GenerationOptions(maxNewTokens: steps), plan: plan)
            #expect(generated == sequences.enumerated().map { Array($1.dropFirst(prompts[$0].count)) })
            // Full recomputation of each row alone (no padding), interventions on its prompt positions only.
            var worst: Float = 0
            for (row, prompt) in prompts.enumerated() {
                let tokens = try TokenBatch([Array(sequences[row].dropLast())])
                let full = try Tensor.withoutGradients {
                    try model(tokens, plan: ReFTAdapter.plan(adapters, tokens: tokens, promptLengths: [prompt.count]), logits: .all).logits!
                }
                for step in 0..<steps {
                    let position = prompt.count - 1 + step
                    for v in 0..<vocabulary {
                        worst = max(worst, abs(full.scalars[position * vocabulary + v] - cached[step][row][v]))
                    }
                }
            }
            #expect(worst < 1e-4, "max |cached − full| = \(worst)")
            // And the adapters matter: without them the logits differ.
            let plain = try model.generate(prompts: prompts, options: GenerationOptions(maxNewTokens: steps))
            #expect(plain != generated)
        }
    }

    @Test("decoding pays nothing extra: an adapter adds only its prefill products")
    func decodingCostsNothingExtra() throws {
        let (model, first, _) = try Self.model()
        let prompts = [[3, 9, 4, 17, 2], [11, 4]]
        let plan = try first.generationPlan(prompts: prompts)
        let batch = try TokenBatch.leftPadded(prompts)
        func products(_ body: () throws -> Void) throws -> Int { try MatrixProductCounter.countingProducts(in: body) }
        let options = GenerationOptions(maxNewTokens: 8)
        let adapted = try products { _ = try model.generate(prompts: prompts, options: options, plan: plan) }
        let plainGeneration = try products { _ = try model.generate(prompts: prompts, options: options) }
        let adaptedPrefill = try products {
            _ = try Tensor.withoutGradients { try model(batch, plan: plan, logits: .last, cache: KeyValueCache(layerCount: 3)) }
        }
        let plainPrefill = try products {
            _ = try Tensor.withoutGradients { try model(batch, logits: .last, cache: KeyValueCache(layerCount: 3)) }
        }
        #expect(adaptedPrefill > plainPrefill)
        #expect(adapted - plainGeneration == adaptedPrefill - plainPrefill)
    }
}
