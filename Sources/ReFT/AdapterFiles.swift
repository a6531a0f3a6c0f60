import Foundation
import Interventions
import Networks
import Tensors
import Transformers

/// `adapter.json`: the description an adapter is saved with (see docs/adapter-format.md).
struct AdapterDescription: Codable {
    struct BaseModel: Codable {
        var configHash: String
        var family: String
        var modelType: String
        var hiddenSize: Int
        var numHiddenLayers: Int
        var vocabSize: Int
        enum CodingKeys: String, CodingKey {
            case configHash = "config_hash", family, modelType = "model_type", hiddenSize = "hidden_size"
            case numHiddenLayers = "num_hidden_layers", vocabSize = "vocab_size"
        }

        /// The fields a base model is recorded by.
        init(_ fingerprint: BaseModelFingerprint) {
            (configHash, family, modelType) = (fingerprint.configHash, fingerprint.family, fingerprint.modelType)
            (hiddenSize, numHiddenLayers, vocabSize) = (fingerprint.hiddenSize, fingerprint.layerCount, fingerprint.vocabularySize)
        }
    }
    struct Weights: Codable {
        var file: String
        var sha256: String
    }
    var format: String
    var formatVersion: Int
    var type: String
    var rank: Int
    var width: Int
    var layers: [Int]
    var site: String
    var positions: String
    var shareWeights: Bool
    var activation: String
    var dropout: Float
    var baseModel: BaseModel
    var weights: Weights

    enum CodingKeys: String, CodingKey {
        case format, formatVersion = "format_version", type, rank, width, layers, site, positions
        case shareWeights = "share_weights", activation, dropout, baseModel = "base_model", weights
    }
}

extension ReFTAdapter {
    /// The name of the weights file in an adapter folder.
    public static let weightsFileName = "adapter.safetensors"
    /// The name of the description file in an adapter folder.
    public static let descriptionFileName = "adapter.json"
    /// The `format` field of `adapter.json`.
    public static let formatName = "interchange.reft-adapter"
    /// The `format_version` this code writes and reads.
    public static let formatVersion = 1

    /// The steps of `save` at which a test can make it fail, to check that the previous pair survives.
    enum SaveStep: CaseIterable {
        case writingTemporaryFiles, replacingWeights, replacingDescription
    }

    /// Writes `adapter.safetensors` (every parameter, F32, under its module-tree name) and
    /// `adapter.json` into `directory` (created if needed).
    ///
    /// Both are written to temporary files in the folder first, then renamed over the old pair:
    /// a failure while writing leaves the previous pair untouched, and a failure between the two
    /// renames puts the previous weights file back. `adapter.json` records the SHA-256 of the
    /// weights file, so a mismatched pair is refused on loading anyway.
    /// - Throws: `ReFTError.fileAccess` naming the file that could not be written.
    public func save(to directory: URL) throws {
        try save(to: directory, failingAt: nil)
    }

    func save(to directory: URL, failingAt failure: SaveStep?) throws {
        let weights = SafetensorsArchive(tensors: Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.name, $0.tensor) }),
                                         metadata: ["format": Self.formatName])
            .serialized()
        let description = AdapterDescription(
            format: Self.formatName, formatVersion: Self.formatVersion, type: spec.kind.rawValue, rank: spec.rank, width: width,
            layers: layerIndices, site: spec.component.rawValue, positions: spec.positions.description, shareWeights: spec.shareWeights,
            activation: spec.activation.rawValue, dropout: spec.dropout,
            baseModel: .init(baseModel),
            weights: .init(file: Self.weightsFileName, sha256: SHA256.hexDigest(weights)))
        try Self.writePair(weights: weights, description: Self.encodeDescription(description), to: directory, failingAt: failure)
    }

    /// An `adapter.json` body: pretty-printed, sorted keys, a final newline.
    static func encodeDescription<Description: Encodable>(_ description: Description) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var json = try encoder.encode(description)
        json.append(0x0a)
        return json
    }

    /// Writes an adapter's pair of files (`adapter.safetensors`, then `adapter.json`) into `directory`,
    /// shared by ReFT and LoRA adapters: both go to temporary files first, then are renamed over the
    /// old pair; a failure while writing leaves the previous pair untouched, and a failure between the
    /// two renames puts the previous weights file back.
    static func writePair(weights: Data, description json: Data, to directory: URL, failingAt failure: SaveStep? = nil) throws {
        let manager = FileManager.default
        let weightsURL = directory.appendingPathComponent(Self.weightsFileName)
        let jsonURL = directory.appendingPathComponent(Self.descriptionFileName)
        let token = UUID().uuidString
        let temporaryWeights = directory.appendingPathComponent(".\(Self.weightsFileName).\(token).tmp")
        let temporaryJSON = directory.appendingPathComponent(".\(Self.descriptionFileName).\(token).tmp")
        let previousWeights = directory.appendingPathComponent(".\(Self.weightsFileName).\(token).previous")
        defer {
            for url in [temporaryWeights, temporaryJSON, previousWeights] { try? manager.removeItem(at: url) }
        }
        func injected(_ step: SaveStep) throws {
            if failure == step { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "injected failure at \(step)"]) }
        }
        do {
            try manager.createDirectory(at: directory, withIntermediateDirectories: true)
            try weights.write(to: temporaryWeights)
            try injected(.writingTemporaryFiles)
            try json.write(to: temporaryJSON)
        } catch {
            throw ReFTError.fileAccess(file: directory.path, reason: "cannot write the adapter: \(error.localizedDescription)")
        }
        // Keep a second name for the old weights, so they can be put back if the second rename fails.
        let hadWeights = manager.fileExists(atPath: weightsURL.path)
        if hadWeights { try? manager.linkItem(at: weightsURL, to: previousWeights) }
        do {
            try injected(.replacingWeights)
            try Self.rename(temporaryWeights, to: weightsURL)
        } catch {
            throw ReFTError.fileAccess(file: weightsURL.path, reason: "cannot replace the weights: \(error.localizedDescription)")
        }
        do {
            try injected(.replacingDescription)
            try Self.rename(temporaryJSON, to: jsonURL)
        } catch {
            if hadWeights, manager.fileExists(atPath: previousWeights.path) {
                try? Self.rename(previousWeights, to: weightsURL)
            } else if !hadWeights {
                try? manager.removeItem(at: weightsURL)
            }
            throw ReFTError.fileAccess(file: jsonURL.path, reason: "cannot replace the description: \(error.localizedDescription)")
        }
    }

    /// POSIX `rename`: atomic replacement within one folder.
    private static func rename(_ source: URL, to destination: URL) throws {
        guard Foundation.rename(source.path, destination.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(errno))])
        }
    }

    /// Reads the adapter in `directory` for `model`.
    ///
    /// Checks, each failure naming the file and field: `format` and `format_version`; `type`,
    /// `site`, `positions`, `activation` known; `rank` within `1...width`; `width` equal to the
    /// model's; `layers` within the model; `dropout` in `[0, 1)`; the base model's config hash
    /// equal to the model's (the message says what differs); the weights file's SHA-256 equal to
    /// the recorded one; every expected tensor present with its shape, finite, and nothing else;
    /// every `R` orthonormal. Parameters come back bit for bit as saved.
    /// - Throws: `ReFTError.invalidFile`, `.fileAccess`; `SafetensorsError` for a malformed weights file.
    public static func load(from directory: URL, for model: TransformerConfiguration) throws -> ReFTAdapter {
        let jsonURL = directory.appendingPathComponent(descriptionFileName)
        let weightsURL = directory.appendingPathComponent(weightsFileName)
        let jsonPath = jsonURL.path
        func invalid(_ field: String, _ reason: String) -> ReFTError { .invalidFile(file: jsonPath, field: field, reason: reason) }

        let description: AdapterDescription
        do {
            description = try JSONDecoder().decode(AdapterDescription.self, from: try read(jsonURL))
        } catch let error as DecodingError {
            throw describe(error, file: jsonPath)
        }
        guard description.format == formatName else {
            throw invalid("format", "expected \"\(formatName)\", found \"\(description.format)\"")
        }
        guard description.formatVersion == formatVersion else {
            throw invalid("format_version", description.formatVersion > formatVersion
                          ? "version \(description.formatVersion) was written by a newer Interchange; this one reads version \(formatVersion)"
                          : "expected \(formatVersion), found \(description.formatVersion)")
        }
        let base = BaseModelFingerprint(configHash: description.baseModel.configHash, family: description.baseModel.family,
                                        modelType: description.baseModel.modelType, hiddenSize: description.baseModel.hiddenSize,
                                        layerCount: description.baseModel.numHiddenLayers, vocabularySize: description.baseModel.vocabSize)
        let modelFingerprint = BaseModelFingerprint(model)
        guard base.configHash == modelFingerprint.configHash else {
            throw invalid("base_model.config_hash", base.differences(from: modelFingerprint))
        }
        guard let kind = ReFTIntervention.Kind(rawValue: description.type) else {
            throw invalid("type", "unknown intervention type \"\(description.type)\"; known: \(ReFTIntervention.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard description.width == model.hiddenSize else {
            throw invalid("width", "the adapter edits width \(description.width), the model's hidden size is \(model.hiddenSize)")
        }
        guard (1...model.hiddenSize).contains(description.rank) else {
            throw invalid("rank", "must be between 1 and the width \(model.hiddenSize), found \(description.rank)")
        }
        guard let component = Site.Component(rawValue: description.site) else {
            throw invalid("site", "unknown site \"\(description.site)\"; known: \(Site.Component.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let activation = Activation(rawValue: description.activation) else {
            throw invalid("activation", "unknown activation \"\(description.activation)\"; known: \(Activation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let positions: PositionSpec
        do { positions = try PositionSpec(parsing: description.positions) } catch {
            throw invalid("positions", "\(error)")
        }
        do { _ = try LayerSpec.list(description.layers).resolve(layerCount: model.layerCount) } catch {
            throw invalid("layers", "\(error)")
        }
        guard description.dropout.isFinite, description.dropout >= 0, description.dropout < 1 else {
            throw invalid("dropout", "must be in [0, 1), found \(description.dropout)")
        }
        guard description.weights.file == weightsFileName else {
            throw invalid("weights.file", "expected \"\(weightsFileName)\", found \"\(description.weights.file)\"")
        }

        let weights = try read(weightsURL)
        let digest = SHA256.hexDigest(weights)
        guard digest == description.weights.sha256 else {
            throw invalid("weights.sha256", "\(weightsURL.path) has SHA-256 \(digest), not the recorded \(description.weights.sha256): the pair does not belong together (or the file was changed)")
        }
        let archive = try SafetensorsArchive(data: weights, origin: weightsURL.path)
        let spec = ReFTSpec(kind: kind, rank: description.rank, layers: .list(description.layers), component: component,
                            positions: positions, shareWeights: description.shareWeights, activation: activation, dropout: description.dropout)
        let adapter = try ReFTAdapter(spec: spec, model: model, seed: 0)
        var values: [String: Tensor] = [:]
        for (name, parameter) in adapter.namedParameters {
            guard let tensor = archive.tensors[name] else {
                throw ReFTError.invalidFile(file: weightsURL.path, field: name, reason: "missing: a \(kind.displayName) adapter on layers \(description.layers) needs it, shape \(parameter.shape)")
            }
            guard tensor.shape == parameter.shape else {
                throw ReFTError.invalidFile(file: weightsURL.path, field: name, reason: "has shape \(tensor.shape), expected \(parameter.shape)")
            }
            if let bad = tensor.scalars.firstIndex(where: { !$0.isFinite }) {
                throw ReFTError.invalidFile(file: weightsURL.path, field: name, reason: "element \(bad) is \(tensor.scalars[bad]); every value must be finite")
            }
            values[name] = tensor
        }
        if let extra = (archive.tensors.keys.filter { values[$0] == nil } + archive.integerTensors.keys).sorted().first {
            throw ReFTError.invalidFile(file: weightsURL.path, field: extra, reason: "is not a parameter of this adapter (its parameters: \(values.keys.sorted().joined(separator: ", ")))")
        }
        try adapter.loadParameters(values)
        for entry in adapter.interventions {
            if let rotation = entry.intervention.rotation, !(rotation.orthonormalityError < 1e-3) {
                throw ReFTError.invalidFile(file: weightsURL.path, field: "layers.\(entry.layer).\(entry.part.rawValue).rotation",
                                            reason: "its rows are not orthonormal (max |R Rᵀ − I| = \(rotation.orthonormalityError))")
            }
        }
        return adapter
    }

    /// Reads the adapter in `directory` for `model` (see `load(from:for:)` with a configuration).
    public static func load(from directory: URL, for model: Transformer) throws -> ReFTAdapter {
        try load(from: directory, for: model.configuration)
    }

    private static func read(_ url: URL) throws -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw ReFTError.fileAccess(file: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
    }

    /// A decoding error as the field it concerns and what was wrong.
    private static func describe(_ error: DecodingError, file: String) -> ReFTError {
        func path(_ keys: [any CodingKey]) -> String { keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") }
        switch error {
        case let .keyNotFound(key, context):
            return .invalidFile(file: file, field: path(context.codingPath + [key]), reason: "is missing")
        case let .typeMismatch(type, context):
            return .invalidFile(file: file, field: path(context.codingPath), reason: "expected a value of type \(type)")
        case let .valueNotFound(type, context):
            return .invalidFile(file: file, field: path(context.codingPath), reason: "expected a value of type \(type), found null")
        case let .dataCorrupted(context):
            let field = path(context.codingPath)
            return .invalidFile(file: file, field: field.isEmpty ? "(file)" : field, reason: "is not valid JSON: \(context.debugDescription)")
        @unknown default:
            return .invalidFile(file: file, field: "(file)", reason: "\(error)")
        }
    }
}
