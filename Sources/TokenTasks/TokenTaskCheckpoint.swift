import CausalModels
import Foundation
import Networks
import Randomness
import Tokenizers
import Transformers

/// A transformer trained on a token task, with its tokenizer and where it is saved.
public struct TrainedTokenTaskModel {
    /// The task bound to the model's tokenizer.
    public let encoder: TokenTaskEncoder
    /// The model.
    public let model: Transformer
    /// The accuracy on held-out inputs measured when it was trained.
    public let heldOutAccuracy: Double
    /// The Hugging Face directory (config.json, model.safetensors, tokenizer.json, token-task.json).
    public let directory: URL
    /// Whether it was read from the cache rather than trained now.
    public let fromCache: Bool
    /// The task.
    public var task: TokenTask { encoder.task }
    /// The tokenizer.
    public var tokenizer: Tokenizer { encoder.tokenizer }
}

/// Trains, saves and reuses token-task models, in Hugging Face format, cached by (task, options, seed).
///
/// A cached directory is reused only when its `token-task.json` names the same task, options and
/// seed and its files load with finite weights; anything else is trained again and overwritten.
public enum TokenTaskCheckpoint {
    /// The metadata file written beside the Hugging Face files.
    public static let metadataFileName = "token-task.json"

    /// What `token-task.json` holds: how the model was made, its accuracy, and a few prompts with
    /// the last-position logits Interchange computed (for checking the files in `transformers`).
    public struct Metadata: Codable, Equatable {
        public var schema = "interchange.token-task-model"
        public var task: String
        public var fingerprint: String
        public var template: String
        public var options: TokenTaskTrainingOptions
        public var seed: UInt64
        public var heldOutAccuracy: Double
        public var checks: [Check]
        /// One prompt: its text, ids, answer id, slot positions and the last position's logits.
        public struct Check: Codable, Equatable {
            public var prompt: String
            public var ids: [Int]
            public var answer: Int
            public var positions: [String: Int]
            public var lastLogits: [Float]
        }
    }

    /// The cache directory of (task, options, seed) under `root`: `<task>-<fingerprint>-<options>-seed<seed>`.
    public static func directory(for task: TokenTask, options: TokenTaskTrainingOptions, seed: UInt64, under root: URL) throws -> URL {
        root.appendingPathComponent("\(task.name)-\(try task.fingerprint())-\(options.key)-seed\(seed)", isDirectory: true)
    }

    /// The model of (task, options, seed): read from `root` when cached there, otherwise built
    /// (tokenizer from the task's words), trained, saved and returned.
    /// - Throws: `TokenTaskError` for bad options or files that cannot be written; training errors.
    public static func trainedModel(task: TokenTask, options: TokenTaskTrainingOptions = TokenTaskTrainingOptions(), seed: UInt64,
                                    cacheRoot root: URL, progress: ((Int, Int, Float) -> Void)? = nil) throws -> TrainedTokenTaskModel {
        try options.validate()
        let folder = try directory(for: task, options: options, seed: seed, under: root)
        let fingerprint = try task.fingerprint()
        if let cached = try? load(folder, task: task), let metadata = try? readMetadata(folder),
           metadata.task == task.name, metadata.fingerprint == fingerprint, metadata.template == task.template.text, metadata.options == options, metadata.seed == seed,
           cached.model.parameters.allSatisfy({ $0.scalars.allSatisfy(\.isFinite) }) {
            return TrainedTokenTaskModel(encoder: cached.encoder, model: cached.model, heldOutAccuracy: metadata.heldOutAccuracy,
                                         directory: folder, fromCache: true)
        }
        let tokenizerData = try TaskTokenizerBuilder.tokenizerJSON(for: try task.texts())
        let tokenizer = try Tokenizer(data: tokenizerData, origin: "tokenizer.json of task \(task.name)")
        let encoder = try TokenTaskEncoder(task: task, tokenizer: tokenizer)
        let (model, accuracy) = try TokenTaskTraining.train(encoder, options: options, seed: seed, progress: progress)
        let checkInputs = try TokenTaskTraining.heldOutInputs(task, count: min(4, options.heldOutCount), seed: seed)
        let examples = try checkInputs.map { try encoder.example($0) }
        let logits = try TokenTaskTraining.lastLogits(of: model, prompts: examples.map(\.ids), padToken: tokenizer.vocabularySize - 1)
        let metadata = Metadata(task: task.name, fingerprint: fingerprint, template: task.template.text, options: options, seed: seed, heldOutAccuracy: accuracy,
                                checks: zip(examples, logits).map { Metadata.Check(prompt: $0.prompt, ids: $0.ids, answer: $0.answer,
                                                                                   positions: $0.positions, lastLogits: $1) })
        try save(model, tokenizerJSON: tokenizerData, metadata: metadata, to: folder)
        return TrainedTokenTaskModel(encoder: encoder, model: model, heldOutAccuracy: accuracy, directory: folder, fromCache: false)
    }

    /// Reads a Hugging Face directory (config.json, model.safetensors, tokenizer.json) for `task`.
    /// - Throws: the loaders' errors (naming the file); `TokenTaskError.notOneToken` when the
    ///   tokenizer splits a verbalizer or slot word; `TokenTaskError.promptTooLong` when the
    ///   prompts do not fit the model's positions.
    public static func load(_ folder: URL, task: TokenTask) throws -> (model: Transformer, encoder: TokenTaskEncoder) {
        let model = try Transformer(directory: folder)
        let tokenizer = try Tokenizer(contentsOf: folder.appendingPathComponent("tokenizer.json"))
        let encoder = try TokenTaskEncoder(task: task, tokenizer: tokenizer)
        var generator = SeededGenerator(seed: 0)
        try encoder.checkFits(maxPositions: model.configuration.maxPositions, sample: try task.model.sampleInput(using: &generator))
        return (model, encoder)
    }

    /// Reads `token-task.json`.
    public static func readMetadata(_ folder: URL) throws -> Metadata {
        let url = folder.appendingPathComponent(metadataFileName)
        do {
            return try JSONDecoder().decode(Metadata.self, from: try Data(contentsOf: url))
        } catch {
            throw TokenTaskError.file(path: url.path, reason: "cannot read the token-task metadata: \(error)")
        }
    }

    /// Writes config.json, model.safetensors, tokenizer.json and token-task.json into `folder`, each atomically.
    public static func save(_ model: Transformer, tokenizerJSON: Data, metadata: Metadata, to folder: URL) throws {
        let weights = SafetensorsArchive(tensors: try model.huggingFaceWeights(), metadata: ["format": "pt"]).serialized()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try configJSON(model.configuration).write(to: folder.appendingPathComponent("config.json"), options: .atomic)
            try weights.write(to: folder.appendingPathComponent("model.safetensors"), options: .atomic)
            try tokenizerJSON.write(to: folder.appendingPathComponent("tokenizer.json"), options: .atomic)
            try encoder.encode(metadata).write(to: folder.appendingPathComponent(metadataFileName), options: .atomic)
        } catch {
            throw TokenTaskError.file(path: folder.path, reason: "cannot write the checkpoint: \(error.localizedDescription)")
        }
    }

    /// A GPT-2 `config.json` for `configuration` (the fields `transformers` reads; the end-of-text
    /// token, the vocabulary's last id, is BOS, EOS and padding).
    public static func configJSON(_ c: TransformerConfiguration) throws -> Data {
        guard c.family == .gpt2 else {
            throw TokenTaskError.invalidArgument(name: "the model family", value: c.family.rawValue, expected: "gpt2 (token-task models are GPT-2)")
        }
        let special = c.vocabularySize - 1
        let object: [String: Any] = [
            "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "activation_function": "gelu_new",
            "vocab_size": c.vocabularySize, "n_embd": c.hiddenSize, "n_layer": c.layerCount, "n_head": c.headCount,
            "n_inner": c.intermediateSize, "n_positions": c.maxPositions, "layer_norm_epsilon": Double(c.normEpsilon),
            "initializer_range": 0.02, "attn_pdrop": 0.0, "embd_pdrop": 0.0, "resid_pdrop": 0.0,
            "scale_attn_weights": true, "scale_attn_by_inverse_layer_idx": false, "reorder_and_upcast_attn": false,
            "tie_word_embeddings": c.tiedEmbeddings, "bos_token_id": special, "eos_token_id": special, "pad_token_id": special,
            "dtype": "float32", "use_cache": true,
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}
