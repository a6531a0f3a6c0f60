import Foundation
import Networks
import Tensors

extension Transformer {
    /// Loads a Hugging Face checkpoint directory: `config.json` and `model.safetensors` (or the
    /// shards of `model.safetensors.index.json`); F32, F16 and BF16 weights are read into Float32.
    /// - Throws: `TransformerError` naming `config.json` and the field for a bad configuration;
    ///   `SafetensorsError` naming the file and tensor for a missing or mis-shaped weight.
    public convenience init(directory: URL) throws {
        let configuration = try TransformerConfiguration(contentsOf: directory.appendingPathComponent("config.json"))
        try self.init(configuration: configuration, checkpoint: SafetensorsCheckpoint(directory: directory))
    }

    /// A model with `configuration` and the weights of `checkpoint`.
    public convenience init(configuration: TransformerConfiguration, checkpoint: SafetensorsCheckpoint) throws {
        try self.init(configuration: configuration, randomSeed: nil)
        // Some GPT-2 files (the original `gpt2`) name their tensors without the `transformer.` prefix.
        let prefix = configuration.family == .gpt2 && !checkpoint.contains("transformer.wte.weight")
            && checkpoint.contains("wte.weight") ? "" : nil
        let map = WeightMap(configuration: configuration, prefix: prefix)
        let shapes = Dictionary(namedParameters.map { ($0.name, $0.tensor.shape) }, uniquingKeysWith: { a, _ in a })
        let values = try map.parameterValues(shapes: shapes) { name, shape in try checkpoint.tensor(name, shape: shape) }
        try loadParameters(values)
    }

    /// The parameters under their Hugging Face names (GPT-2's `c_attn` joined and Conv1D weights
    /// transposed back), ready to write as `model.safetensors`.
    public func huggingFaceWeights() throws -> [String: Tensor] {
        try WeightMap(configuration: configuration)
            .huggingFaceValues(Dictionary(namedParameters.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }))
    }
}
