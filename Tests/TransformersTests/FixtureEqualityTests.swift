import Foundation
import Interventions
import Networks
import Tensors
import Testing
@testable import Transformers

/// The forward pass equals HF transformers on every committed fixture model: logits and every
/// hidden state to 1e-4 at the real positions (row 1 is left-padded), and greedy generation's ids exactly.
@Suite("Fixture equality with HF transformers")
struct FixtureEqualityTests {
    @Test("logits and hidden states match the reference", arguments: Fixtures.modelNames)
    func forwardMatches(name: String) throws {
        let model = try Fixtures.model(name)
        let reference = try Fixtures.reference(name)
        let ids = try Fixtures.rows(reference, "input_ids")
        let mask = try Fixtures.rows(reference, "attention_mask")
        let batch = try TokenBatch(ids, attentionMask: mask)
        // The reference passed position ids explicitly; ours are derived from the mask the same way.
        #expect(batch.positionIds == (try reference.integerTensor("position_ids")).values)
        let layers = model.configuration.layerCount
        let collected = [Site.embedding] + (0..<(layers - 1)).map { Site(layer: $0, component: .blockOutput) }
        let output = try model(batch, collecting: collected, logits: .all)
        let logits = try #require(output.logits)
        #expect(logits.shape == [ids.count, ids[0].count, model.configuration.vocabularySize])
        let logitError = maxDifference(logits, try reference.tensor("logits"), mask: mask)
        #expect(logitError <= 1e-4, "\(name): logits differ by \(logitError)")
        for i in 0...layers {
            let ours = i == layers ? output.hiddenStates : try #require(output.collected[collected[i]])
            let error = maxDifference(ours, try reference.tensor("hidden_states.\(i)"), mask: mask)
            #expect(error <= 1e-4, "\(name): hidden_states.\(i) differs by \(error)")
        }
    }

    @Test("greedy generation gives the reference ids", arguments: Fixtures.modelNames)
    func greedyGenerationMatches(name: String) throws {
        let model = try Fixtures.model(name)
        let reference = try Fixtures.reference(name)
        let prompt = try Fixtures.rows(reference, "generate.prompt_ids")[0]
        let expected = try Fixtures.rows(reference, "generate.greedy_ids")[0]
        let generated = try model.generate(prompts: [prompt], options: GenerationOptions(maxNewTokens: expected.count - prompt.count))
        #expect(prompt + generated[0] == expected)
    }

    @Test("the BF16 and sharded checkpoints are what they claim to be")
    func storageVariants() throws {
        let bf16 = try SafetensorsCheckpoint(directory: Fixtures.directory("llama-bf16"))
        #expect(bf16.dtype(of: "model.embed_tokens.weight") == "BF16")
        let sharded = try SafetensorsCheckpoint(directory: Fixtures.directory("llama-sharded"))
        #expect(sharded.files.count == 2)
    }
}
