import Foundation
import Networks
import Tensors
import Transformers

/// `adapter.json` of a LoRA adapter (type "lora"; see docs/adapter-format.md).
struct LoRADescription: Codable {
    var format: String
    var formatVersion: Int
    var type: String
    var rank: Int
    var alpha: Float
    var layers: [Int]
    var targets: [String]
    var baseModel: AdapterDescription.BaseModel
    var weights: AdapterDescription.Weights

    enum CodingKeys: String, CodingKey {
        case format, formatVersion = "format_version", type, rank, alpha, layers, targets, baseModel = "base_model", weights
    }
}

extension LoRAAdapter {
    /// The weights file's name (as for ReFT adapters).
    public static var weightsFileName: String { ReFTAdapter.weightsFileName }
    /// The `type` field of a LoRA adapter's `adapter.json`.
    public static let typeName = "lora"

    /// Writes `adapter.safetensors` (`layers.<i>.<target>.lora_a` `[r, in]`, `lora_b` `[out, r]`, F32)
    /// then `adapter.json` (recording the weights' SHA-256), written as a pair the way ReFT adapters are
    /// (`ReFTAdapter.writePair`): a failure leaves the previous pair.
    /// - Throws: `ReFTError.fileAccess`.
    public func save(to directory: URL) throws {
        let weights = SafetensorsArchive(tensors: Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.name, $0.tensor) }),
                                         metadata: ["format": ReFTAdapter.formatName]).serialized()
        let description = LoRADescription(
            format: ReFTAdapter.formatName, formatVersion: ReFTAdapter.formatVersion, type: Self.typeName, rank: spec.rank, alpha: spec.alpha,
            layers: layerIndices, targets: spec.targets.map(\.rawValue),
            baseModel: .init(baseModel),
            weights: .init(file: Self.weightsFileName, sha256: SHA256.hexDigest(weights)))
        try ReFTAdapter.writePair(weights: weights, description: ReFTAdapter.encodeDescription(description), to: directory)
    }

    /// Reads a LoRA adapter for `model` and binds it (unmerged; call `prepareForward()` to apply it).
    /// - Throws: `ReFTError.invalidFile` naming the field (another base model, layers or targets the
    ///   model lacks, a rank out of range, a SHA-256 mismatch, a missing or misshapen tensor).
    public static func load(from directory: URL, for model: Transformer) throws -> LoRAAdapter {
        let jsonURL = directory.appendingPathComponent(ReFTAdapter.descriptionFileName)
        let weightsURL = directory.appendingPathComponent(weightsFileName)
        func invalid(_ field: String, _ reason: String) -> ReFTError { .invalidFile(file: jsonURL.path, field: field, reason: reason) }
        let description: LoRADescription
        do { description = try JSONDecoder().decode(LoRADescription.self, from: try ReFTTrainer<LoRAAdapter>.read(jsonURL)) } catch let error as ReFTError {
            throw error
        } catch {
            throw invalid("(file)", "not a LoRA adapter description: \(error)")
        }
        guard description.format == ReFTAdapter.formatName, description.formatVersion == ReFTAdapter.formatVersion, description.type == typeName else {
            throw invalid("type", "expected format \(ReFTAdapter.formatName) version \(ReFTAdapter.formatVersion), type lora")
        }
        let base = BaseModelFingerprint(configHash: description.baseModel.configHash, family: description.baseModel.family,
                                        modelType: description.baseModel.modelType, hiddenSize: description.baseModel.hiddenSize,
                                        layerCount: description.baseModel.numHiddenLayers, vocabularySize: description.baseModel.vocabSize)
        let fingerprint = BaseModelFingerprint(model.configuration)
        guard base.configHash == fingerprint.configHash else { throw invalid("base_model.config_hash", base.differences(from: fingerprint)) }
        let targets: [LoRATarget]
        do { targets = try LoRATarget.parse(description.targets.joined(separator: ",")) } catch { throw invalid("targets", "\(error)") }
        let adapter: LoRAAdapter
        do {
            adapter = try LoRAAdapter(spec: LoRASpec(rank: description.rank, alpha: description.alpha, layers: .list(description.layers), targets: targets),
                                      model: model, seed: 0)
        } catch { throw invalid("rank/alpha/layers", "\(error)") }
        let weights = try ReFTTrainer<LoRAAdapter>.read(weightsURL)
        guard SHA256.hexDigest(weights) == description.weights.sha256 else {
            throw invalid("weights.sha256", "\(weightsURL.path) does not have the recorded SHA-256: the pair does not belong together (or the file was changed)")
        }
        let archive = try SafetensorsArchive(data: weights, origin: weightsURL.path)
        var values: [String: Tensor] = [:]
        for (name, parameter) in adapter.namedParameters {
            guard let tensor = archive.tensors[name], tensor.shape == parameter.shape, tensor.scalars.allSatisfy(\.isFinite) else {
                throw ReFTError.invalidFile(file: weightsURL.path, field: name, reason: "missing, not of shape \(parameter.shape), or not finite")
            }
            values[name] = tensor
        }
        if let extra = archive.tensors.keys.filter({ values[$0] == nil }).sorted().first {
            throw ReFTError.invalidFile(file: weightsURL.path, field: extra, reason: "is not a parameter of this LoRA adapter")
        }
        try adapter.loadParameters(values)
        return adapter
    }
}
