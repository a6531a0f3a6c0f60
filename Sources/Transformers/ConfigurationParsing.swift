import Foundation

extension TransformerConfiguration {
    /// Reads a Hugging Face `config.json`.
    /// - Throws: `TransformerError` naming the file and the missing or invalid field, or an
    ///   unsupported `model_type`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TransformerError.unreadableConfiguration(file: url.path, reason: error.localizedDescription)
        }
        try self.init(json: data, file: url.path)
    }

    /// Parses the bytes of a `config.json`; `file` names it in errors.
    public init(json data: Data, file: String = "config.json") throws {
        guard let object = try? JSONSerialization.jsonObject(with: data), let fields = object as? [String: Any] else {
            throw TransformerError.unreadableConfiguration(file: file, reason: "not a JSON object")
        }
        let reader = ConfigurationFields(fields: fields, file: file)
        let modelType: String = try reader.required("model_type")
        guard let family = Self.supportedModelTypes[modelType] else {
            throw TransformerError.unsupportedModelType(file: file, modelType: modelType,
                                                        supported: Self.supportedModelTypes.keys.sorted())
        }
        switch family {
        case .gpt2:
            let activation: String = try reader.optional("activation_function") ?? "gelu_new"
            guard ["gelu_new", "gelu_pytorch_tanh", "gelu_fast"].contains(activation) else {
                throw TransformerError.invalidField(file: file, field: "activation_function",
                                                    reason: "'\(activation)' is not supported; GPT-2 blocks use the tanh GELU (gelu_new)")
            }
            let width: Int = try reader.required("n_embd")
            try self.init(
                family: .gpt2, modelType: modelType, vocabularySize: reader.required("vocab_size"), hiddenSize: width,
                layerCount: reader.required("n_layer"), headCount: reader.required("n_head"),
                intermediateSize: reader.optional("n_inner") ?? (width.multipliedReportingOverflow(by: 4).overflow ? Int.max : 4 * width), maxPositions: reader.required("n_positions"),
                normEpsilon: Float(reader.optional("layer_norm_epsilon") ?? 1e-5 as Double),
                tiedEmbeddings: reader.optional("tie_word_embeddings") ?? true, fileName: file)
        case .llama:
            let activation: String = try reader.optional("hidden_act") ?? "silu"
            guard activation == "silu" else {
                throw TransformerError.invalidField(file: file, field: "hidden_act", reason: "'\(activation)' is not supported; the Llama MLP uses silu")
            }
            let width: Int = try reader.required("hidden_size")
            let heads: Int = try reader.required("num_attention_heads")
            let attentionBias: Bool = try reader.optional("attention_bias") ?? false
            let (theta, scaling) = try reader.rope()
            try self.init(
                family: .llama, modelType: modelType, vocabularySize: reader.required("vocab_size"), hiddenSize: width,
                layerCount: reader.required("num_hidden_layers"), headCount: heads,
                keyValueHeadCount: reader.optional("num_key_value_heads") ?? heads,
                headDimension: reader.optional("head_dim") ?? (heads > 0 ? width / heads : 0),
                intermediateSize: reader.required("intermediate_size"),
                maxPositions: reader.required("max_position_embeddings"),
                normEpsilon: Float(reader.optional("rms_norm_eps") ?? 1e-6 as Double),
                tiedEmbeddings: reader.optional("tie_word_embeddings") ?? false,
                // Qwen2 always has q/k/v biases and none on the output projection.
                queryKeyValueBias: modelType == "qwen2" ? true : attentionBias,
                outputBias: modelType == "qwen2" ? false : attentionBias,
                mlpBias: reader.optional("mlp_bias") ?? false,
                ropeTheta: theta, ropeScaling: scaling, fileName: file)
            // Mistral enables its window by giving it; Qwen2 only with use_sliding_window.
            let windowEnabled: Bool = try reader.optional("use_sliding_window") ?? (modelType == "mistral")
            if windowEnabled, let window: Int = try reader.optional("sliding_window") {
                guard window > 0 else {
                    throw TransformerError.invalidField(file: file, field: "sliding_window", reason: "must be positive, got \(window)")
                }
                slidingWindow = window
            }
        }
    }

    /// The memberwise initializer with errors naming `fileName`.
    private init(family: Family, modelType: String, vocabularySize: Int, hiddenSize: Int, layerCount: Int,
                 headCount: Int, keyValueHeadCount: Int? = nil, headDimension: Int? = nil, intermediateSize: Int,
                 maxPositions: Int, normEpsilon: Float, tiedEmbeddings: Bool, queryKeyValueBias: Bool? = nil,
                 outputBias: Bool? = nil, mlpBias: Bool? = nil, ropeTheta: Double = 10000,
                 ropeScaling: RopeScaling = .none, fileName: String) throws {
        do {
            try self.init(family: family, modelType: modelType, vocabularySize: vocabularySize, hiddenSize: hiddenSize,
                          layerCount: layerCount, headCount: headCount, keyValueHeadCount: keyValueHeadCount,
                          headDimension: headDimension, intermediateSize: intermediateSize, maxPositions: maxPositions,
                          normEpsilon: normEpsilon, tiedEmbeddings: tiedEmbeddings, queryKeyValueBias: queryKeyValueBias,
                          outputBias: outputBias, mlpBias: mlpBias, ropeTheta: ropeTheta, ropeScaling: ropeScaling)
        } catch TransformerError.invalidField(_, let field, let reason) {
            throw TransformerError.invalidField(file: fileName, field: field, reason: reason)
        }
    }
}

/// Typed access to the fields of a `config.json`, with errors naming the file and field.
struct ConfigurationFields {
    let fields: [String: Any]
    let file: String

    func required<T>(_ name: String) throws -> T {
        guard let value: T = try optional(name) else { throw TransformerError.missingField(file: file, field: name) }
        return value
    }

    /// The field's value, `nil` when it is absent or JSON `null`.
    func optional<T>(_ name: String) throws -> T? {
        try Self.value(fields[name], name: name, file: file)
    }

    static func value<T>(_ raw: Any?, name: String, file: String) throws -> T? {
        guard let raw, !(raw is NSNull) else { return nil }
        func wrongType(_ expected: String) -> TransformerError {
            .invalidField(file: file, field: name, reason: "expected \(expected), found \(raw)")
        }
        switch T.self {
        case is Int.Type:
            // JSON numbers arrive as NSNumber (on Linux 0 and 1 also pass as Bool): accept integral values only.
            guard let number = raw as? NSNumber,
                  let exact = Int(exactly: number.doubleValue) else { throw wrongType("an integer") }
            return exact as? T
        case is Double.Type:
            guard let number = raw as? NSNumber else { throw wrongType("a number") }
            return number.doubleValue as? T
        case is Bool.Type:
            guard let flag = raw as? Bool else { throw wrongType("true or false") }
            return flag as? T
        case is String.Type:
            guard let text = raw as? String else { throw wrongType("a string") }
            return text as? T
        default:
            guard let typed = raw as? T else { throw wrongType("\(T.self)") }
            return typed
        }
    }

    /// `rope_theta` and the scaling, from transformers 5's `rope_parameters` or the older
    /// top-level `rope_theta` with `rope_scaling`.
    func rope() throws -> (Double, TransformerConfiguration.RopeScaling) {
        let parameters: [String: Any]? = try optional("rope_parameters")
        let scalingFields: [String: Any]? = try parameters ?? optional("rope_scaling")
        let prefix = parameters == nil ? "rope_scaling" : "rope_parameters"
        let theta: Double = try parameters.flatMap { try Self.value($0["rope_theta"], name: "rope_parameters.rope_theta", file: file) }
            ?? optional("rope_theta") ?? 10000
        guard let scalingFields else { return (theta, .none) }
        let nested = ConfigurationFields(fields: scalingFields, file: file)
        func field<T>(_ name: String) throws -> T {
            guard let value: T = try Self.value(scalingFields[name], name: "\(prefix).\(name)", file: file) else {
                throw TransformerError.missingField(file: file, field: "\(prefix).\(name)")
            }
            return value
        }
        let kind: String = try nested.optional("rope_type") ?? nested.optional("type") ?? "default"
        switch kind {
        case "default":
            return (theta, .none)
        case "llama3":
            let scaling = TransformerConfiguration.RopeScaling.llama3(
                factor: try field("factor"), lowFrequencyFactor: try field("low_freq_factor"),
                highFrequencyFactor: try field("high_freq_factor"), originalContext: try field("original_max_position_embeddings"))
            guard case let .llama3(factor, low, high, context) = scaling, factor > 0, low > 0, high > low, context > 0 else {
                throw TransformerError.invalidField(file: file, field: prefix,
                                                    reason: "llama3 scaling needs factor > 0, 0 < low_freq_factor < high_freq_factor and a positive original_max_position_embeddings")
            }
            return (theta, scaling)
        default:
            throw TransformerError.invalidField(file: file, field: "\(prefix).rope_type",
                                                reason: "'\(kind)' is not supported (supported: default, llama3)")
        }
    }
}
