import Tensors
import TestSupport
import Testing
@testable import Transformers

/// Finite-difference checks of the whole block (normalizations, attention with RoPE and grouped
/// heads or GPT-2's layout, MLP, residuals), with and without left padding, and of the model's
/// loss with respect to the embedding and head.
@Suite("Transformer gradients")
struct BlockGradientTests {
    static func configuration(_ family: TransformerConfiguration.Family) throws -> TransformerConfiguration {
        try TransformerConfiguration(family: family, vocabularySize: 7, hiddenSize: 8, layerCount: 1, headCount: 2,
                                     keyValueHeadCount: family == .llama ? 1 : 2, intermediateSize: 12, maxPositions: 8,
                                     tiedEmbeddings: family == .gpt2, queryKeyValueBias: true)
    }

    @Test("a whole block's gradients (input and parameters) match finite differences",
          arguments: [(TransformerConfiguration.Family.llama, false), (.llama, true), (.gpt2, false), (.gpt2, true)])
    func blockGradients(family: TransformerConfiguration.Family, padded: Bool) throws {
        let configuration = try Self.configuration(family)
        let model = try Transformer(configuration: configuration, seed: 21, scale: 0.4)
        let block = model.layers[0]
        // Norm weights and biases start at 1 and 0; move them so their gradients are generic.
        for parameter in [block.attentionNorm.weight, block.mlpNorm.weight, block.attention.query.bias!] {
            parameter.scalars = Tensor.normal(shape: parameter.shape, mean: 1, standardDeviation: 0.3, seed: 5).scalars
        }
        let tokens = try TokenBatch([[1, 2, 3], [4, 5, 6]], attentionMask: padded ? [[1, 1, 1], [0, 1, 1]] : nil)
        let pass = ForwardPass(plan: nil, collecting: [], positions: tokens.positionIds,
                               firstValidKey: padded ? tokens.leftPadding : nil,
                               inverseFrequencies: family == .llama ? configuration.inverseFrequencies : nil, cache: nil)
        let x = variable([2, 3, 8], seed: 3)
        var inputs = [x, block.attentionNorm.weight, block.attention.query.weight, block.attention.key.weight,
                      block.attention.value.bias!, block.attention.output.weight, block.mlpNorm.weight, block.mlp.up.weight,
                      block.mlp.down.weight]
        if let gate = block.mlp.gate { inputs.append(gate.weight) }
        if let bias = block.attentionNorm.bias { inputs.append(bias) }
        try expectGradientsMatch(of: inputs, tolerance: 3e-3) { _ in
            let y = try block(x, pass: pass)
            // A padding query's output is the residual alone; keep the check on what the model uses.
            return padded ? try y.reshaped(to: [6, 8]).gatherRows([0, 1, 2, 4, 5]) : y
        }
    }

    @Test("the loss's gradients reach the embedding, positions and head correctly", arguments: [TransformerConfiguration.Family.llama, .gpt2])
    func modelGradients(family: TransformerConfiguration.Family) throws {
        let model = try Transformer(configuration: try Self.configuration(family), seed: 22, scale: 0.4)
        let tokens = try TokenBatch([[1, 2, 3, 1], [4, 5, 6, 0]])
        var inputs = [model.tokenEmbedding.weight, model.finalNorm.weight]
        if let positions = model.positionEmbedding { inputs.append(positions.weight) }
        if let head = model.head { inputs.append(head.weight) }
        try expectGradientsMatch(of: inputs, tolerance: 3e-3) { _ in
            try model.languageModelLoss(tokens, labels: [[1, 2, 3, 1], [-100, 5, 6, 0]]).reshaped(to: [1])
        }
    }
}
