import Foundation

/// The architecture of a decoder-only transformer, read from a Hugging Face `config.json`.
///
/// Two families share one block (DESIGN §7): GPT-2 (learned positions, LayerNorm, GELU-tanh MLP,
/// tied embeddings) and Llama (RoPE, RMSNorm, SwiGLU MLP, grouped-query attention). Qwen2 and
/// Mistral are `.llama` with options (q/k/v bias, untied head); Llama 3 adds `rope_scaling`.
public struct TransformerConfiguration: Sendable, Equatable {
    /// The two block layouts this package implements.
    public enum Family: String, Sendable, Equatable {
        case gpt2
        case llama
    }

    /// How RoPE's inverse frequencies are adjusted for long contexts.
    public enum RopeScaling: Sendable, Equatable {
        /// `1 / θ^(2i/d)`, unchanged.
        case none
        /// Llama 3's piecewise rescaling of low and medium frequencies.
        case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalContext: Int)
    }

    /// The block layout.
    public var family: Family
    /// The `model_type` the file named (e.g. `gpt2`, `llama`, `qwen2`, `mistral`).
    public var modelType: String
    /// Token vocabulary size.
    public var vocabularySize: Int
    /// Residual stream width `d`.
    public var hiddenSize: Int
    /// Number of transformer blocks.
    public var layerCount: Int
    /// Query heads.
    public var headCount: Int
    /// Key/value heads (fewer than `headCount` for grouped-query attention).
    public var keyValueHeadCount: Int
    /// Width of one head.
    public var headDimension: Int
    /// Hidden width of the MLP.
    public var intermediateSize: Int
    /// Longest sequence the model supports (GPT-2's position table has this many rows).
    public var maxPositions: Int
    /// The normalization epsilon.
    public var normEpsilon: Float
    /// Whether the output head reuses the token embedding matrix.
    public var tiedEmbeddings: Bool
    /// Whether the query, key and value projections have biases (GPT-2, Qwen2, Llama with `attention_bias`).
    public var queryKeyValueBias: Bool
    /// Whether the attention output projection has a bias (GPT-2, Llama with `attention_bias`).
    public var outputBias: Bool
    /// Whether the MLP projections have biases (GPT-2, Llama with `mlp_bias`).
    public var mlpBias: Bool
    /// RoPE's base θ (Llama family only).
    public var ropeTheta: Double
    /// RoPE's frequency scaling (Llama family only).
    public var ropeScaling: RopeScaling
    /// Mistral-style sliding-window attention's window, when the file enables one. Full attention
    /// equals it on sequences no longer than the window, so longer ones are refused, not approximated.
    public var slidingWindow: Int?

    /// The model types each family accepts.
    public static let supportedModelTypes: [String: Family] = ["gpt2": .gpt2, "llama": .llama, "qwen2": .llama, "mistral": .llama]

    /// Upper bounds that keep every product of sizes far from overflow and allocation absurd.
    static let limits = (vocabulary: 1 << 22, width: 1 << 16, layers: 1 << 10, heads: 1 << 10, positions: 1 << 22)

    /// A configuration from its parts; sizes are validated (see `validate(file:)`).
    public init(family: Family, modelType: String? = nil, vocabularySize: Int, hiddenSize: Int, layerCount: Int,
                headCount: Int, keyValueHeadCount: Int? = nil, headDimension: Int? = nil, intermediateSize: Int,
                maxPositions: Int, normEpsilon: Float = 1e-5, tiedEmbeddings: Bool,
                queryKeyValueBias: Bool? = nil, outputBias: Bool? = nil, mlpBias: Bool? = nil,
                ropeTheta: Double = 10000, ropeScaling: RopeScaling = .none) throws {
        self.family = family
        self.modelType = modelType ?? family.rawValue
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount ?? headCount
        self.headDimension = headDimension ?? (headCount > 0 ? hiddenSize / headCount : 0)
        self.intermediateSize = intermediateSize
        self.maxPositions = maxPositions
        self.normEpsilon = normEpsilon
        self.tiedEmbeddings = tiedEmbeddings
        self.queryKeyValueBias = queryKeyValueBias ?? (family == .gpt2)
        self.outputBias = outputBias ?? (family == .gpt2)
        self.mlpBias = mlpBias ?? (family == .gpt2)
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        try validate(file: "<configuration>")
    }

    /// Checks every size before anything is allocated from it.
    /// - Throws: `TransformerError.invalidField` naming the field (with the HF spelling) and why.
    func validate(file: String) throws {
        func check(_ value: Int, _ field: String, below bound: Int) throws {
            guard value > 0 else { throw TransformerError.invalidField(file: file, field: field, reason: "must be positive, got \(value)") }
            guard value <= bound else { throw TransformerError.invalidField(file: file, field: field, reason: "\(value) exceeds the limit \(bound)") }
        }
        let gpt2 = family == .gpt2
        try check(vocabularySize, "vocab_size", below: Self.limits.vocabulary)
        try check(hiddenSize, gpt2 ? "n_embd" : "hidden_size", below: Self.limits.width)
        try check(layerCount, gpt2 ? "n_layer" : "num_hidden_layers", below: Self.limits.layers)
        try check(headCount, gpt2 ? "n_head" : "num_attention_heads", below: Self.limits.heads)
        try check(keyValueHeadCount, "num_key_value_heads", below: Self.limits.heads)
        try check(headDimension, "head_dim", below: Self.limits.width)
        try check(intermediateSize, gpt2 ? "n_inner" : "intermediate_size", below: 4 * Self.limits.width)
        try check(maxPositions, gpt2 ? "n_positions" : "max_position_embeddings", below: Self.limits.positions)
        if gpt2 || headDimension == hiddenSize / headCount {
            guard hiddenSize % headCount == 0 else {
                throw TransformerError.invalidField(file: file, field: gpt2 ? "n_head" : "num_attention_heads",
                                                    reason: "\(headCount) heads do not divide the width \(hiddenSize)")
            }
        }
        guard headCount % keyValueHeadCount == 0 else {
            throw TransformerError.invalidField(file: file, field: "num_key_value_heads",
                                                reason: "\(keyValueHeadCount) key/value heads do not divide \(headCount) query heads")
        }
        if family == .llama {
            guard headDimension % 2 == 0 else {
                throw TransformerError.invalidField(file: file, field: "head_dim", reason: "RoPE needs an even head width, got \(headDimension)")
            }
            guard ropeTheta.isFinite, ropeTheta > 1 else {
                throw TransformerError.invalidField(file: file, field: "rope_theta", reason: "must be a finite number above 1, got \(ropeTheta)")
            }
        }
        guard normEpsilon.isFinite, normEpsilon > 0 else {
            throw TransformerError.invalidField(file: file, field: gpt2 ? "layer_norm_epsilon" : "rms_norm_eps",
                                                reason: "must be a positive number, got \(normEpsilon)")
        }
    }

    /// The RoPE inverse frequencies `[headDimension / 2]`: `θ^(−2i/d)`, rescaled for Llama 3
    /// (wavelengths above `originalContext / lowFrequencyFactor` divided by `factor`, those below
    /// `originalContext / highFrequencyFactor` kept, and a smooth blend in between), as HF computes them.
    public var inverseFrequencies: [Float] {
        let half = headDimension / 2
        return (0..<half).map { i in
            let base = 1 / Foundation.pow(ropeTheta, Double(2 * i) / Double(headDimension))
            guard case let .llama3(factor, low, high, context) = ropeScaling else { return Float(base) }
            let wavelength = 2 * Double.pi / base
            let (lowWavelength, highWavelength) = (Double(context) / low, Double(context) / high)
            if wavelength > lowWavelength { return Float(base / factor) }
            if wavelength < highWavelength { return Float(base) }
            let smooth = (Double(context) / wavelength - low) / (high - low)
            return Float((1 - smooth) * base / factor + smooth * base)
        }
    }
}
