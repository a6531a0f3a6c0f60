import Foundation
import Interventions
import Networks
import Randomness
import ReFT
import TokenTasks
import Tokenizers
import Transformers

/// How the ReFT tutorials' base model is built: its architecture and its pretraining run.
public struct ReFTTutorialBaseRecipe: Sendable, Equatable, Codable {
    /// Blocks, width, heads, MLP width and positions of the GPT-2-style model.
    public var layers = 4, width = 64, heads = 4, intermediate = 256, maxPositions = 640
    /// Tokens per training window, windows per step, passes over the corpus.
    public var sequenceLength = 64, batchSize = 16, epochs = 15
    /// AdamW's peak learning rate (5% warm-up, then linear decay to 0) and decoupled weight decay.
    public var learningRate: Float = 5e-3, weightDecay: Float = 0.01
    /// Seeds the initial weights and the window order.
    public var seed: UInt64 = 0

    /// The full-size recipe (about 0.28 M parameters).
    public init() {}

    /// The small model the tests read from `Tests/Fixtures/reft-tutorial-model` (2 blocks of width
    /// 32, 64 positions, 15 epochs): big enough to learn the facts, small enough to commit.
    public static var testModel: ReFTTutorialBaseRecipe {
        var recipe = ReFTTutorialBaseRecipe()
        (recipe.layers, recipe.width, recipe.heads, recipe.intermediate, recipe.maxPositions) = (2, 32, 2, 64, 64)
        return recipe
    }

    /// Throws unless every field is in range (before anything is allocated).
    public func validate() throws {
        func check(_ ok: Bool, _ what: String) throws { if !ok { throw ReFTTutorialError.invalidSetting(what) } }
        try check((1...64).contains(layers), "layers must be 1...64, got \(layers)")
        try check((8...4096).contains(width) && heads >= 1 && width % heads == 0, "width \(width) must be 8...4096 and divisible by heads \(heads)")
        try check((1...65_536).contains(intermediate), "intermediate must be 1...65536, got \(intermediate)")
        try check((2...65_536).contains(maxPositions), "maxPositions must be 2...65536, got \(maxPositions)")
        try check((2...maxPositions).contains(sequenceLength), "sequenceLength must be 2...\(maxPositions), got \(sequenceLength)")
        try check((1...4096).contains(batchSize), "batchSize must be 1...4096, got \(batchSize)")
        try check((1...1000).contains(epochs), "epochs must be 1...1000, got \(epochs)")
        try check(learningRate > 0 && learningRate.isFinite && weightDecay >= 0, "the learning rate must be positive and the weight decay not negative")
    }

    /// The cache key's text: every field.
    var key: String {
        "L\(layers)-d\(width)-h\(heads)-i\(intermediate)-p\(maxPositions)-t\(sequenceLength)-b\(batchSize)-e\(epochs)-lr\(learningRate)-wd\(weightDecay)-seed\(seed)"
    }
}

/// Problems in a tutorial's settings or files.
public enum ReFTTutorialError: Error, CustomStringConvertible, Equatable {
    /// A setting outside its range, named.
    case invalidSetting(String)
    /// A file that cannot be read or written, with the reason.
    case file(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidSetting(what): "invalid setting: \(what)"
        case let .file(path, reason): "\(path): \(reason)"
        }
    }
}

/// The pretrained base model of the ReFT tutorials, with its tokenizer and the world its corpus describes.
public struct ReFTTutorialBase {
    /// The model (frozen by every ReFT trainer that uses it).
    public let model: Transformer
    /// One token per corpus word (`TaskTokenizerBuilder`), `<|endoftext|>` last.
    public let tokenizer: Tokenizer
    /// The facts the corpus tells.
    public let world: AnimalFactsWorld
    /// The end-of-text id (ends every corpus line, and every answer).
    public let endOfText: Int
    /// Where it is cached (a Hugging Face directory: config.json, model.safetensors, tokenizer.json).
    public let directory: URL
    /// Whether it was read from the cache.
    public let fromCache: Bool
    /// What pretraining recorded: its last epoch's mean loss and its wall-clock seconds.
    public let metadata: Metadata

    /// `reft-tutorial-base.json`, beside the Hugging Face files.
    public struct Metadata: Codable, Equatable {
        public var schema = "interchange.reft-tutorial-base"
        public var recipe: ReFTTutorialBaseRecipe
        /// SHA-256 of the corpus bytes.
        public var corpusSHA256: String
        public var corpusTokens: Int
        public var parameterCount: Int
        public var epochLosses: [Float]
        public var trainingSeconds: Double
    }

    public static let metadataFileName = "reft-tutorial-base.json"

    /// Greedy continuation of `prompts` (batched), cut at the end-of-text id, decoded.
    /// - Parameter plan: interventions for the left-padded prefill (`ReFTAdapter.generationPlan`).
    public func answers(_ prompts: [[Int]], maxNewTokens: Int, plan: InterventionPlanMaker? = nil) throws -> [String] {
        let options = GenerationOptions(maxNewTokens: maxNewTokens, stopTokens: [endOfText], padToken: endOfText)
        let generated = try model.generate(prompts: prompts, options: options, plan: try plan?(prompts))
        return try generated.map { try tokenizer.decode($0.filter { $0 != endOfText }).trimmingCharacters(in: .whitespaces) }
    }

    /// Reads a base model written by `pretrained` (the Hugging Face files and `reft-tutorial-base.json`).
    /// - Throws: `ReFTTutorialError.file` naming the folder and what is missing or unreadable.
    public static func load(from folder: URL, world: AnimalFactsWorld) throws -> ReFTTutorialBase {
        do {
            let metadata = try JSONDecoder().decode(Metadata.self, from: try Data(contentsOf: folder.appendingPathComponent(metadataFileName)))
            let tokenizer = try Tokenizer(contentsOf: folder.appendingPathComponent("tokenizer.json"))
            let model = try Transformer(directory: folder)
            model.freeze()
            return ReFTTutorialBase(model: model, tokenizer: tokenizer, world: world, endOfText: tokenizer.vocabularySize - 1, directory: folder,
                                    fromCache: true, metadata: metadata)
        } catch {
            throw ReFTTutorialError.file(path: folder.path, reason: "cannot read the tutorial base model: \(error)")
        }
    }

    /// The base model of `recipe` on `corpus`: read from `cacheRoot` when a finished run with the
    /// same recipe and corpus bytes is there, otherwise pretrained now (`LanguageModelTrainer`, the
    /// loop of `reft pretrain`) and saved. `progress(epoch, step, steps, loss)` follows training.
    /// - Throws: `ReFTTutorialError` for a bad recipe or unwritable files; training errors.
    public static func pretrained(recipe: ReFTTutorialBaseRecipe, corpus: String, world: AnimalFactsWorld, cacheRoot: URL,
                                  progress: ((Int, Int, Int, Float) -> Void)? = nil) throws -> ReFTTutorialBase {
        try recipe.validate()
        let corpusHash = SHA256.digest(Array(corpus.utf8)).map { String(format: "%02x", $0) }.joined()
        let keyHash = SHA256.digest(Array((recipe.key + "|" + corpusHash).utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
        let folder = cacheRoot.appendingPathComponent("reft-tutorial-base-\(keyHash)", isDirectory: true)
        let tokenizerData = try TaskTokenizerBuilder.tokenizerJSON(for: world.words.map { " " + $0 })
        let tokenizer = try Tokenizer(data: tokenizerData, origin: "the tutorial tokenizer")
        let endOfText = tokenizer.vocabularySize - 1
        if let data = try? Data(contentsOf: folder.appendingPathComponent(metadataFileName)),
           let metadata = try? JSONDecoder().decode(Metadata.self, from: data), metadata.recipe == recipe, metadata.corpusSHA256 == corpusHash,
           let model = try? Transformer(directory: folder), model.parameters.allSatisfy({ $0.scalars.allSatisfy(\.isFinite) }) {
            return ReFTTutorialBase(model: model, tokenizer: tokenizer, world: world, endOfText: endOfText, directory: folder,
                                    fromCache: true, metadata: metadata)
        }
        let configuration = try TransformerConfiguration(
            family: .gpt2, vocabularySize: tokenizer.vocabularySize, hiddenSize: recipe.width, layerCount: recipe.layers,
            headCount: recipe.heads, intermediateSize: recipe.intermediate, maxPositions: recipe.maxPositions, tiedEmbeddings: true)
        // As `reft pretrain` does: each line a document followed by end-of-text, all concatenated and cut into windows.
        let windows = PretrainingWindows(documents: corpus.split(separator: "\n").map(String.init), length: recipe.sequenceLength,
                                         endOfText: endOfText) { tokenizer.encode($0, addSpecialTokens: false) }
        guard !windows.windows.isEmpty else {
            throw ReFTTutorialError.invalidSetting("the corpus encodes to \(windows.tokenCount) tokens, fewer than one window of \(recipe.sequenceLength)")
        }
        let model = try Transformer(configuration: configuration, seed: recipe.seed)
        let totalSteps = windows.stepsPerEpoch(batchSize: recipe.batchSize) * recipe.epochs
        let trainer = try LanguageModelTrainer(model: model, learningRate: recipe.learningRate,
                                               warmupSteps: min(totalSteps - 1, totalSteps / 20), totalSteps: totalSteps,
                                               weightDecay: recipe.weightDecay)
        var losses: [Float] = []
        let start = Date()
        try windows.train(trainer, batchSize: recipe.batchSize, epochs: recipe.epochs, seed: recipe.seed,
                          onStep: { epoch, step, steps, loss in progress?(epoch, step, steps, loss) },
                          onEpoch: { _, meanLoss in losses.append(Float(meanLoss)) })
        let metadata = Metadata(recipe: recipe, corpusSHA256: corpusHash, corpusTokens: windows.tokenCount, parameterCount: model.parameterCount,
                                epochLosses: losses, trainingSeconds: Date().timeIntervalSince(start))
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let weights = SafetensorsArchive(tensors: try model.huggingFaceWeights(), metadata: ["format": "pt"]).serialized()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try TokenTaskCheckpoint.configJSON(configuration).write(to: folder.appendingPathComponent("config.json"), options: .atomic)
            try weights.write(to: folder.appendingPathComponent("model.safetensors"), options: .atomic)
            try tokenizerData.write(to: folder.appendingPathComponent("tokenizer.json"), options: .atomic)
            try encoder.encode(metadata).write(to: folder.appendingPathComponent(metadataFileName), options: .atomic)
        } catch {
            throw ReFTTutorialError.file(path: folder.path, reason: "cannot write the base model: \(error)")
        }
        model.freeze()
        return ReFTTutorialBase(model: model, tokenizer: tokenizer, world: world, endOfText: endOfText, directory: folder,
                                fromCache: false, metadata: metadata)
    }
}

/// Builds a generation plan for a batch of prompts (e.g. `{ try ReFTAdapter.generationPlan([a, b], prompts: $0) }`).
public typealias InterventionPlanMaker = ([[Int]]) throws -> InterventionPlan
