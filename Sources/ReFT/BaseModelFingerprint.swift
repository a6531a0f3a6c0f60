import Transformers

/// What an adapter records of the model it was trained on: the SHA-256 of a canonical text of the
/// architecture (`TransformerConfiguration`), and a few readable fields to say why a model differs.
///
/// The canonical text is one `name=value` line per architecture field, in this order, each line
/// ending in `\n`, after a first line naming the scheme:
///
///     interchange.transformer-architecture.v1
///     family=llama                 gpt2 | llama
///     model_type=llama             the config's model_type
///     vocab_size=32000
///     hidden_size=64
///     num_hidden_layers=4
///     num_attention_heads=4
///     num_key_value_heads=2
///     head_dim=16
///     intermediate_size=128
///     max_position_embeddings=2048
///     norm_epsilon=1e-05           Swift's shortest round-trip text of the Float
///     tie_word_embeddings=true
///     qkv_bias=false
///     output_bias=false
///     mlp_bias=false
///     rope_theta=10000.0           the Double's shortest round-trip text
///     rope_scaling=none            or llama3(factor,low_freq_factor,high_freq_factor,original_max_position_embeddings)
///     sliding_window=none          or the window, when the config enables one
///
/// It identifies the architecture, not the weights: two checkpoints of one architecture (a base
/// model and its fine-tune) share a hash.
public struct BaseModelFingerprint: Sendable, Equatable {
    /// The hex SHA-256 of `canonicalText`.
    public let configHash: String
    /// Readable fields, checked one by one to explain a mismatch: `family`, `model_type`,
    /// `hidden_size`, `num_hidden_layers`, `vocab_size`.
    public let family: String, modelType: String
    public let hiddenSize: Int, layerCount: Int, vocabularySize: Int

    /// The fingerprint of `configuration`.
    public init(_ configuration: TransformerConfiguration) {
        configHash = SHA256.hexDigest(of: Self.canonicalText(configuration))
        family = configuration.family.rawValue
        modelType = configuration.modelType
        hiddenSize = configuration.hiddenSize
        layerCount = configuration.layerCount
        vocabularySize = configuration.vocabularySize
    }

    init(configHash: String, family: String, modelType: String, hiddenSize: Int, layerCount: Int, vocabularySize: Int) {
        (self.configHash, self.family, self.modelType) = (configHash, family, modelType)
        (self.hiddenSize, self.layerCount, self.vocabularySize) = (hiddenSize, layerCount, vocabularySize)
    }

    /// The text that is hashed (see the type's documentation).
    public static func canonicalText(_ c: TransformerConfiguration) -> String {
        let scaling: String
        switch c.ropeScaling {
        case .none: scaling = "none"
        case let .llama3(factor, low, high, context): scaling = "llama3(\(factor),\(low),\(high),\(context))"
        }
        let lines = [
            "interchange.transformer-architecture.v1",
            "family=\(c.family.rawValue)", "model_type=\(c.modelType)", "vocab_size=\(c.vocabularySize)",
            "hidden_size=\(c.hiddenSize)", "num_hidden_layers=\(c.layerCount)", "num_attention_heads=\(c.headCount)",
            "num_key_value_heads=\(c.keyValueHeadCount)", "head_dim=\(c.headDimension)", "intermediate_size=\(c.intermediateSize)",
            "max_position_embeddings=\(c.maxPositions)", "norm_epsilon=\(c.normEpsilon)", "tie_word_embeddings=\(c.tiedEmbeddings)",
            "qkv_bias=\(c.queryKeyValueBias)", "output_bias=\(c.outputBias)", "mlp_bias=\(c.mlpBias)",
            "rope_theta=\(c.ropeTheta)", "rope_scaling=\(scaling)", "sliding_window=\(c.slidingWindow.map(String.init) ?? "none")",
        ]
        return lines.map { $0 + "\n" }.joined()
    }

    /// Why a model with fingerprint `other` is not this one, in words (empty when the hashes agree).
    public func differences(from other: BaseModelFingerprint) -> String {
        guard configHash != other.configHash else { return "" }
        var differing: [String] = []
        if family != other.family { differing.append("family \(family) vs \(other.family)") }
        if modelType != other.modelType { differing.append("model_type \(modelType) vs \(other.modelType)") }
        if hiddenSize != other.hiddenSize { differing.append("hidden_size \(hiddenSize) vs \(other.hiddenSize)") }
        if layerCount != other.layerCount { differing.append("num_hidden_layers \(layerCount) vs \(other.layerCount)") }
        if vocabularySize != other.vocabularySize { differing.append("vocab_size \(vocabularySize) vs \(other.vocabularySize)") }
        let detail = differing.isEmpty
            ? "the architectures differ in a field other than family, model_type, hidden_size, layers and vocab_size (heads, sizes, norm epsilon, biases, RoPE or sliding window)"
            : differing.joined(separator: ", ")
        return "the adapter was trained for another base model (\(detail); adapter hash \(configHash.prefix(16))…, model hash \(other.configHash.prefix(16))…)"
    }
}
