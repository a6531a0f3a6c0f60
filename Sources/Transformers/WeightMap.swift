import Tensors

/// The one table, per family, between Hugging Face tensor names and this package's parameter
/// names, used for loading checkpoints and for writing them back (so it is kept reversible).
///
/// GPT-2 stores its projections as `Conv1D` weights `[in, out]` (transposed here to `[out, in]`)
/// and fuses query, key and value into `c_attn` (`[in, 3·out]`, split here into three).
public struct WeightMap: Sendable {
    /// How one HF tensor relates to our parameters.
    public enum Layout: Sendable, Equatable {
        /// Same values, same shape.
        case same
        /// HF `[in, out]`, ours `[out, in]`.
        case transposed
        /// HF `[in, parts·out]`, ours `parts` tensors `[out, in]` (GPT-2's fused `c_attn` weight).
        case splitTransposed(parts: Int)
        /// HF `[parts·out]`, ours `parts` tensors `[out]` (GPT-2's fused `c_attn` bias).
        case split(parts: Int)
    }

    /// One HF tensor and the parameter(s) it holds.
    public struct Entry: Sendable, Equatable {
        /// The tensor's name in HF files, e.g. `transformer.h.0.attn.c_attn.weight`.
        public let huggingFaceName: String
        /// Our parameter(s) it holds, e.g. `layers.0.attention.query.weight` (three for a fused `c_attn`).
        public let parameterNames: [String]
        /// How the HF tensor's layout relates to ours.
        public let layout: Layout
    }

    /// Every entry, in model order.
    public let entries: [Entry]

    /// The table for `configuration`; `prefix` is the HF module prefix (`transformer.` for GPT-2,
    /// `model.` for Llama; some GPT-2 files have none).
    public init(configuration c: TransformerConfiguration, prefix: String? = nil) {
        var entries: [Entry] = []
        func add(_ hf: String, _ ours: [String], _ layout: Layout = .same) {
            entries.append(Entry(huggingFaceName: hf, parameterNames: ours, layout: layout))
        }
        switch c.family {
        case .gpt2:
            let p = prefix ?? "transformer."
            add("\(p)wte.weight", ["tokenEmbedding.weight"])
            add("\(p)wpe.weight", ["positionEmbedding.weight"])
            for i in 0..<c.layerCount {
                let (hf, ours) = ("\(p)h.\(i).", "layers.\(i).")
                add("\(hf)ln_1.weight", ["\(ours)attentionNorm.weight"])
                add("\(hf)ln_1.bias", ["\(ours)attentionNorm.bias"])
                add("\(hf)attn.c_attn.weight", ["query", "key", "value"].map { "\(ours)attention.\($0).weight" }, .splitTransposed(parts: 3))
                add("\(hf)attn.c_attn.bias", ["query", "key", "value"].map { "\(ours)attention.\($0).bias" }, .split(parts: 3))
                add("\(hf)attn.c_proj.weight", ["\(ours)attention.output.weight"], .transposed)
                add("\(hf)attn.c_proj.bias", ["\(ours)attention.output.bias"])
                add("\(hf)ln_2.weight", ["\(ours)mlpNorm.weight"])
                add("\(hf)ln_2.bias", ["\(ours)mlpNorm.bias"])
                add("\(hf)mlp.c_fc.weight", ["\(ours)mlp.up.weight"], .transposed)
                add("\(hf)mlp.c_fc.bias", ["\(ours)mlp.up.bias"])
                add("\(hf)mlp.c_proj.weight", ["\(ours)mlp.down.weight"], .transposed)
                add("\(hf)mlp.c_proj.bias", ["\(ours)mlp.down.bias"])
            }
            add("\(p)ln_f.weight", ["finalNorm.weight"])
            add("\(p)ln_f.bias", ["finalNorm.bias"])
        case .llama:
            let p = prefix ?? "model."
            add("\(p)embed_tokens.weight", ["tokenEmbedding.weight"])
            for i in 0..<c.layerCount {
                let (hf, ours) = ("\(p)layers.\(i).", "layers.\(i).")
                add("\(hf)input_layernorm.weight", ["\(ours)attentionNorm.weight"])
                for (name, projection) in [("q_proj", "query"), ("k_proj", "key"), ("v_proj", "value"), ("o_proj", "output")] {
                    add("\(hf)self_attn.\(name).weight", ["\(ours)attention.\(projection).weight"])
                    if projection == "output" ? c.outputBias : c.queryKeyValueBias {
                        add("\(hf)self_attn.\(name).bias", ["\(ours)attention.\(projection).bias"])
                    }
                }
                add("\(hf)post_attention_layernorm.weight", ["\(ours)mlpNorm.weight"])
                for (name, projection) in [("gate_proj", "gate"), ("up_proj", "up"), ("down_proj", "down")] {
                    add("\(hf)mlp.\(name).weight", ["\(ours)mlp.\(projection).weight"])
                    if c.mlpBias { add("\(hf)mlp.\(name).bias", ["\(ours)mlp.\(projection).bias"]) }
                }
            }
            add("\(p)norm.weight", ["finalNorm.weight"])
        }
        if !c.tiedEmbeddings { add("lm_head.weight", ["head.weight"]) }
        self.entries = entries
    }

    /// The HF shape of an entry whose parameters have `shape` each.
    static func huggingFaceShape(of layout: Layout, parameterShape shape: [Int]) -> [Int] {
        switch layout {
        case .same: return shape
        case .transposed: return shape.reversed()
        case let .splitTransposed(parts): return [shape[1], parts * shape[0]]
        case let .split(parts): return [parts * shape[0]]
        }
    }

    /// Our parameters' values from HF tensors: `read(name, expectedShape)` fetches one (and throws
    /// naming the file and tensor when it is missing or mis-shaped); `shapes` gives each parameter's shape.
    public func parameterValues(shapes: [String: [Int]], read: (String, [Int]) throws -> Tensor) throws -> [String: Tensor] {
        var values: [String: Tensor] = [:]
        for entry in entries {
            guard let shape = shapes[entry.parameterNames[0]] else { continue }
            let stored = try read(entry.huggingFaceName, Self.huggingFaceShape(of: entry.layout, parameterShape: shape))
            for (name, value) in zip(entry.parameterNames, try Self.split(stored.detached(), entry.layout)) {
                values[name] = value
            }
        }
        return values
    }

    /// HF tensors from our parameters' values (the inverse of `parameterValues`).
    public func huggingFaceValues(_ parameters: [String: Tensor]) throws -> [String: Tensor] {
        var values: [String: Tensor] = [:]
        for entry in entries {
            let parts = try entry.parameterNames.map { name -> Tensor in
                guard let value = parameters[name] else {
                    throw TransformerError.missingWeight(file: "<parameters>", tensor: name)
                }
                return value.detached()
            }
            values[entry.huggingFaceName] = try Self.join(parts, entry.layout)
        }
        return values
    }

    private static func split(_ stored: Tensor, _ layout: Layout) throws -> [Tensor] {
        switch layout {
        case .same: return [stored]
        case .transposed: return [try stored.transposed()]
        case let .splitTransposed(parts):
            let width = stored.shape[1] / parts
            return try (0..<parts).map { try stored.slice(alongAxis: 1, ($0 * width)..<(($0 + 1) * width)).transposed() }
        case let .split(parts):
            let width = stored.shape[0] / parts
            return try (0..<parts).map { try stored.slice(alongAxis: 0, ($0 * width)..<(($0 + 1) * width)) }
        }
    }

    private static func join(_ parts: [Tensor], _ layout: Layout) throws -> Tensor {
        switch layout {
        case .same: return parts[0]
        case .transposed: return try parts[0].transposed()
        case .splitTransposed: return try Tensor.concatenate(try parts.map { try $0.transposed() }, alongAxis: 1)
        case .split: return try Tensor.concatenate(parts, alongAxis: 0)
        }
    }
}
