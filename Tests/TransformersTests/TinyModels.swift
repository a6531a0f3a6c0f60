import Tensors
@testable import Transformers

/// Small random models for tests that need no reference: one per family.
enum TinyModels {
    static func llama(layers: Int = 2, tied: Bool = false, bias: Bool = true) throws -> TransformerConfiguration {
        try TransformerConfiguration(
            family: .llama, vocabularySize: 23, hiddenSize: 16, layerCount: layers, headCount: 4, keyValueHeadCount: 2,
            intermediateSize: 24, maxPositions: 64, normEpsilon: 1e-5, tiedEmbeddings: tied,
            queryKeyValueBias: bias, ropeTheta: 10000)
    }

    static func gpt2(layers: Int = 2) throws -> TransformerConfiguration {
        try TransformerConfiguration(
            family: .gpt2, vocabularySize: 23, hiddenSize: 16, layerCount: layers, headCount: 4,
            intermediateSize: 32, maxPositions: 32, normEpsilon: 1e-5, tiedEmbeddings: true)
    }

    /// Both families, with weights large enough (standard deviation 0.3) that every part matters.
    static func all() throws -> [Transformer] {
        [try Transformer(configuration: llama(), seed: 11, scale: 0.3), try Transformer(configuration: gpt2(), seed: 12, scale: 0.3)]
    }
}
