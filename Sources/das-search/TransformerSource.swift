import Alignment
import CommandLineSupport
import Experiments
import Foundation
import Networks
import Randomness
import TokenTasks
import Tokenizers
import Transformers

/// A token task `das-search` can search a transformer on: the task (template, verbalizer), the
/// variables aligned and the sets of variables intervened on together.
struct TokenSearchTask {
    let task: TokenTask
    /// The aligned variables, in subspace order.
    let variables: [String]

    /// The token tasks (`hierarchical-equality` is also an MLP task; it is a token task with a
    /// transformer `--model`, or with `--network transformer`).
    static let names = TokenTask.builtInNames

    /// The tasks that exist only as token tasks: they select a transformer without `--model`.
    static let tokenOnlyNames = Set(TokenTask.builtInNames).subtracting(SearchTask.names)

    static func named(_ name: String) throws -> TokenSearchTask {
        let task: TokenTask
        do {
            task = try TokenTask.builtIn(named: name)
        } catch {
            throw UsageError("unknown token task '\(name)'; choose one of \(names.joined(separator: ", "))")
        }
        switch name {
        case "price-tagging": return TokenSearchTask(task: task, variables: ["LB", "UB"])
        case "sum-of-three": return TokenSearchTask(task: task, variables: ["S1"])
        default: return TokenSearchTask(task: task, variables: ["WX", "YZ"])
        }
    }

    /// Each variable alone (per-variable methods) or each alone and all together.
    func interventionSets(alone: Bool) -> [[String]] {
        alone ? variables.map { [$0] } : ExperimentData.singlesAndAll(variables)
    }
}

/// Where the searched transformer comes from: a `--model` directory (a Hugging Face checkpoint with
/// its tokenizer.json), or the token-task model trained and cached under `<out>/networks/`.
enum TransformerSource {
    /// Whether `directory` holds a transformer checkpoint: a config.json whose `model_type` is one the
    /// Transformers module implements (an MLP's config.json has none).
    static func isTransformer(_ directory: String) -> Bool {
        let url = URL(fileURLWithPath: directory).appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: url),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let type = object["model_type"] as? String else { return false }
        return TransformerConfiguration.supportedModelTypes[type] != nil
    }

    /// The model and its task encoder. A loaded model is checked before its weights are read: every
    /// verbalizer and slot word must be one token and a prompt with its answer must fit the context;
    /// either failure is a usage error (exit 2) naming the word or the lengths.
    static func model(for task: TokenSearchTask, modelPath: String?, seed: UInt64, cacheDirectory: URL, log: @escaping (String) -> Void,
                      progress: ((Int, Int, Float) -> Void)? = nil) throws -> (Transformer, TokenTaskEncoder, SearchReport.Network) {
        if let modelPath {
            let folder = URL(fileURLWithPath: modelPath)
            let configuration = try TransformerConfiguration(contentsOf: folder.appendingPathComponent("config.json"))
            let tokenizer = try Tokenizer(contentsOf: folder.appendingPathComponent("tokenizer.json"))
            let encoder: TokenTaskEncoder
            do {
                encoder = try TokenTaskEncoder(task: task.task, tokenizer: tokenizer)
                var generator = SeededGenerator(seed: 0)
                try encoder.checkFits(maxPositions: configuration.maxPositions, sample: task.task.model.sampleInput(using: &generator))
            } catch let error as TokenTaskError {
                throw UsageError("--model \(modelPath): \(error.description)")
            }
            let model = try Transformer(configuration: configuration, checkpoint: SafetensorsCheckpoint(directory: folder))
            return (model, encoder, .init(origin: "loaded", path: modelPath, configuration: nil, transformer: .init(configuration), testAccuracy: nil))
        }
        let options = TokenTaskTrainingOptions.defaults(for: task.task)
        let root = cacheDirectory.appendingPathComponent("networks")
        let folder = try TokenTaskCheckpoint.directory(for: task.task, options: options, seed: seed, under: root)
        log("Training (or reusing) the \(task.task.name) transformer (seed \(seed)), cached in \(folder.path)…")
        let trained = try TokenTaskCheckpoint.trainedModel(task: task.task, options: options, seed: seed, cacheRoot: root, progress: progress)
        log(trained.fromCache ? "Reused the transformer trained before: \(trained.directory.path)"
                              : String(format: "Trained: held-out accuracy %.3f", trained.heldOutAccuracy))
        return (trained.model, trained.encoder,
                .init(origin: "trained", path: trained.directory.path, configuration: nil, transformer: .init(trained.model.configuration),
                      testAccuracy: trained.heldOutAccuracy))
    }
}

extension SearchReport {
    /// The architecture of a searched transformer.
    struct TransformerDescription: Codable, Equatable {
        var modelType: String
        var layers: Int
        var width: Int
        var heads: Int
        var vocabulary: Int
        var maxPositions: Int

        init(_ c: TransformerConfiguration) {
            modelType = c.modelType
            layers = c.layerCount
            width = c.hiddenSize
            heads = c.headCount
            vocabulary = c.vocabularySize
            maxPositions = c.maxPositions
        }
    }
}
