import Foundation
import Networks
import Tensors

/// `training-state.json`: what `--resume` needs besides the adapter and the moments (see
/// docs/adapter-format.md, "Training state").
struct TrainingStateDescription: Codable {
    var schema: String
    var version: Int
    var options: ReFTTrainingOptions
    var completedEpochs: Int
    var optimizerSteps: Int
    var totalSteps: Int
    var trainingExamples: Int
    var adapterSHA256: String
    var momentsSHA256: String
    var history: [ReFTEpochRecord]

    enum CodingKeys: String, CodingKey {
        case schema, version, options, history
        case completedEpochs = "completed_epochs", optimizerSteps = "optimizer_steps", totalSteps = "total_steps"
        case trainingExamples = "training_examples", adapterSHA256 = "adapter_sha256", momentsSHA256 = "moments_sha256"
    }
}

extension ReFTTrainer {
    /// The training state's description file in the adapter folder.
    public static var stateFileName: String { "training-state.json" }
    /// The training state's moments file in the adapter folder.
    public static var momentsFileName: String { "training-state.safetensors" }
    static var stateSchema: String { "interchange.reft.training-state" }

    /// Saves the adapter, then `training-state.safetensors` (AdamW's `m` and `v` of every parameter,
    /// named `first_moment.<parameter>` and `second_moment.<parameter>`) and `training-state.json`
    /// (settings, epochs and steps done, history, and the SHA-256 of both weight files), each
    /// written to a temporary file and renamed into place.
    /// - Throws: `ReFTError.fileAccess`.
    public func save(to directory: URL) throws {
        try adapter.save(to: directory)
        let names = adapter.namedParameters.map(\.name)
        var tensors: [String: Tensor] = [:]
        for (index, name) in names.enumerated() {
            let shape = adapter.namedParameters[index].tensor.shape
            tensors["first_moment.\(name)"] = try Tensor(shape: shape, scalars: optimizer.firstMoments[index])
            tensors["second_moment.\(name)"] = try Tensor(shape: shape, scalars: optimizer.secondMoments[index])
        }
        let moments = SafetensorsArchive(tensors: tensors, metadata: ["format": Self.stateSchema]).serialized()
        let adapterWeights = try Self.read(directory.appendingPathComponent(Adapter.weightsFileName))
        let description = TrainingStateDescription(
            schema: Self.stateSchema, version: 1, options: options, completedEpochs: completedEpochs, optimizerSteps: optimizer.stepCount,
            totalSteps: totalSteps, trainingExamples: data.examples.count, adapterSHA256: SHA256.hexDigest(adapterWeights),
            momentsSHA256: SHA256.hexDigest(moments), history: history)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var json = try encoder.encode(description)
        json.append(0x0a)
        try Self.writeAtomically(moments, to: directory.appendingPathComponent(Self.momentsFileName))
        try Self.writeAtomically(json, to: directory.appendingPathComponent(Self.stateFileName))
    }

    /// Continues from the state `save(to:)` left in `directory`: the adapter's parameters, the
    /// optimizer's moments and step count, and the history. The next `train` runs the remaining epochs.
    /// - Throws: `ReFTError.cannotResume` saying what does not match (settings, data size, a file
    ///   changed since it was saved); `.fileAccess`, `.invalidFile`.
    public func resume(from directory: URL) throws {
        func refuse(_ reason: String) -> ReFTError { .cannotResume(directory: directory.path, reason: reason) }
        let stateURL = directory.appendingPathComponent(Self.stateFileName)
        guard FileManager.default.fileExists(atPath: stateURL.path) else {
            throw refuse("\(Self.stateFileName) is missing (was the adapter written by `reft train`, with at least one finished epoch?)")
        }
        let description: TrainingStateDescription
        do { description = try JSONDecoder().decode(TrainingStateDescription.self, from: try Self.read(stateURL)) } catch let error as ReFTError {
            throw error
        } catch {
            throw ReFTError.invalidFile(file: stateURL.path, field: "(file)", reason: "cannot be decoded: \(error)")
        }
        guard description.schema == Self.stateSchema, description.version == 1 else {
            throw ReFTError.invalidFile(file: stateURL.path, field: "schema", reason: "expected \(Self.stateSchema) version 1")
        }
        guard description.options == options else {
            throw refuse("it was trained with other settings (\(Self.describe(description.options))) than this run's (\(Self.describe(options))); resume with the same flags")
        }
        guard description.trainingExamples == data.examples.count else {
            throw refuse("it was trained on \(description.trainingExamples) examples, this data has \(data.examples.count)")
        }
        guard description.totalSteps == totalSteps, description.completedEpochs == description.history.count,
              (0...options.epochs).contains(description.completedEpochs),
              description.optimizerSteps == description.completedEpochs * options.stepsPerEpoch(exampleCount: data.examples.count)
        else {
            throw ReFTError.invalidFile(file: stateURL.path, field: "optimizer_steps", reason: "the epoch and step counts are inconsistent")
        }
        let weightsURL = directory.appendingPathComponent(Adapter.weightsFileName)
        let weights = try Self.read(weightsURL)
        guard SHA256.hexDigest(weights) == description.adapterSHA256 else {
            throw refuse("\(weightsURL.path) changed since the training state was saved (SHA-256 differs)")
        }
        let momentsURL = directory.appendingPathComponent(Self.momentsFileName)
        let momentsData = try Self.read(momentsURL)
        guard SHA256.hexDigest(momentsData) == description.momentsSHA256 else {
            throw refuse("\(momentsURL.path) changed since the training state was saved (SHA-256 differs)")
        }
        let saved = try SafetensorsArchive(data: weights, origin: weightsURL.path)
        let moments = try SafetensorsArchive(data: momentsData, origin: momentsURL.path)
        var values: [String: Tensor] = [:]
        var first: [[Float]] = [], second: [[Float]] = []
        for (name, parameter) in adapter.namedParameters {
            func tensor(_ archive: SafetensorsArchive, _ key: String, _ url: URL) throws -> Tensor {
                guard let value = archive.tensors[key], value.shape == parameter.shape else {
                    throw ReFTError.invalidFile(file: url.path, field: key, reason: "missing or not of shape \(parameter.shape)")
                }
                return value
            }
            values[name] = try tensor(saved, name, weightsURL)
            first.append(try tensor(moments, "first_moment.\(name)", momentsURL).scalars)
            second.append(try tensor(moments, "second_moment.\(name)", momentsURL).scalars)
        }
        try adapter.loadParameters(values)
        do {
            try optimizer.restore(stepCount: description.optimizerSteps, firstMoments: first, secondMoments: second)
        } catch {
            throw ReFTError.invalidFile(file: momentsURL.path, field: "optimizer state", reason: String(describing: error))
        }
        history = description.history
    }

    private static func describe(_ options: ReFTTrainingOptions) -> String {
        "epochs \(options.epochs), batch \(options.batchSize), lr \(options.learningRate), warm-up \(options.warmupRatio), weight decay \(options.weightDecay), seed \(options.seed)"
    }

    static func read(_ url: URL) throws -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw ReFTError.fileAccess(file: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
    }

    /// Writes to a temporary file in the same folder, then renames it over `url` (atomic on POSIX).
    static func writeAtomically(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        defer { try? FileManager.default.removeItem(at: temporary) }
        do {
            try data.write(to: temporary)
            guard Foundation.rename(temporary.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            throw ReFTError.fileAccess(file: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
