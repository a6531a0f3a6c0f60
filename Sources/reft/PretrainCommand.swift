import ArgumentParser
import CommandLineSupport
import Foundation
import Networks
import Randomness
import Reports
import Tensors
import Tokenizers
import Transformers

/// `reft pretrain`: a small base model trained from scratch on a text corpus, written as a Hugging Face checkpoint.
struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Train a small transformer from scratch on a text file and write it as a Hugging Face checkpoint.",
        discussion: """
            --config is a Hugging Face config.json (GPT-2 or Llama family) describing the architecture; its
            vocab_size must cover --tokenizer (a tokenizer.json). The corpus (--data) is plain text: each \
            non-empty line is a document, encoded without special tokens and followed by the config's \
            eos_token_id when it has one; the documents are concatenated and cut into --sequence-length windows. \
            Every weight trains (next-token cross-entropy, AdamW, linear warm-up then decay), starting from \
            seeded random weights (normal, standard deviation initializer_range or 0.02).

            --out receives config.json, model.safetensors (Hugging Face tensor names, F32) and tokenizer.json,
            rewritten atomically after every epoch: `transformers.AutoModelForCausalLM.from_pretrained(out)` loads \
            it, and so does every reft command.

            Example:
              reft pretrain --config tiny-config.json --tokenizer tokenizer.json --data corpus.txt \\
                  --epochs 3 --sequence-length 64 --batch-size 16 --lr 3e-3 --out tiny-model
              reft generate --model tiny-model --prompt "Once upon a time"
            """)

    @Option(help: ArgumentHelp("The architecture, a Hugging Face config.json.", valueName: "file"))
    var config: String

    @Option(help: ArgumentHelp("The tokenizer.json to encode the corpus with (copied into --out).", valueName: "file"))
    var tokenizer: String

    @Option(help: ArgumentHelp("The corpus: plain text, one document per non-empty line.", valueName: "file"))
    var data: String

    @Option(help: ArgumentHelp("The checkpoint folder to write.", valueName: "dir"))
    var out: String

    @Option(help: "Passes over the corpus.")
    var epochs = 1

    @Option(help: "Tokens per training window.")
    var sequenceLength = 64

    @Option(help: "Windows per step.")
    var batchSize = 8

    @Option(help: "The peak learning rate.")
    var lr: Float = 1e-3

    @Option(help: "The fraction of steps spent warming up.")
    var warmupRatio: Float = 0.05

    @Option(help: "AdamW's decoupled weight decay.")
    var weightDecay: Float = 0.01

    @Option(help: "Seeds the initial weights and the window order.")
    var seed: UInt64 = 0

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard sequenceLength >= 2 else { throw ValidationError("--sequence-length must be at least 2, got \(sequenceLength)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number, got \(lr)") }
        guard warmupRatio >= 0, warmupRatio < 1 else { throw ValidationError("--warmup-ratio must be in [0, 1), got \(warmupRatio)") }
        guard weightDecay >= 0 else { throw ValidationError("--weight-decay must not be negative, got \(weightDecay)") }
    }

    func run() throws {
        for (flag, path) in [("--config", config), ("--tokenizer", tokenizer), ("--data", data)] where !FileManager.default.fileExists(atPath: path) {
            throw UsageError("\(flag) '\(path)' does not exist")
        }
        let configData = try runtime { try Data(contentsOf: URL(fileURLWithPath: config)) }
        let configuration: TransformerConfiguration
        do { configuration = try TransformerConfiguration(json: configData, file: config) } catch { throw UsageError("\(error)") }
        let tokenizerData = try runtime { try Data(contentsOf: URL(fileURLWithPath: tokenizer)) }
        let encoder: Tokenizer
        do { encoder = try Tokenizer(contentsOf: URL(fileURLWithPath: tokenizer)) } catch { throw UsageError("--tokenizer: \(error)") }
        guard encoder.vocabularySize <= configuration.vocabularySize else {
            throw UsageError("--tokenizer has \(encoder.vocabularySize) tokens; the config's vocab_size \(configuration.vocabularySize) must cover them")
        }
        if configuration.family == .gpt2, sequenceLength > configuration.maxPositions {
            throw UsageError("--sequence-length \(sequenceLength) exceeds the config's \(configuration.maxPositions) positions (n_positions)")
        }
        let configObject = (try? JSONSerialization.jsonObject(with: configData)) as? [String: Any]
        let eos = configObject?["eos_token_id"] as? Int
        let scale = (configObject?["initializer_range"] as? Double).map(Float.init) ?? 0.02
        let text = try runtime { try String(contentsOfFile: data, encoding: .utf8) }
        let corpus = PretrainingWindows(documents: text.split(whereSeparator: \.isNewline).map(String.init), length: sequenceLength,
                                        endOfText: eos) { encoder.encode($0, addSpecialTokens: false) }
        guard !corpus.windows.isEmpty else {
            throw UsageError("--data '\(data)' encodes to \(corpus.tokenCount) tokens, fewer than one --sequence-length window of \(sequenceLength)")
        }
        let model = try runtime { try Transformer(configuration: configuration, seed: seed, scale: scale) }
        let stepsPerEpoch = corpus.stepsPerEpoch(batchSize: batchSize)
        let totalSteps = stepsPerEpoch * epochs
        let trainer = try runtime {
            try LanguageModelTrainer(model: model, learningRate: lr, warmupSteps: min(totalSteps - 1, Int(Float(totalSteps) * warmupRatio)),
                                     totalSteps: max(totalSteps, 1), weightDecay: weightDecay)
        }
        print("\(configuration.family) model, \(model.parameterCount) parameters; \(corpus.tokenCount) tokens in \(corpus.windows.count) windows of \(sequenceLength), \(stepsPerEpoch) steps per epoch")
        var bar: ProgressBar?
        try runtime {
            try corpus.train(trainer, batchSize: batchSize, epochs: epochs, seed: seed, onStep: { epoch, step, steps, loss in
                if step == 1 { bar = ProgressBar(label: "epoch \(epoch)/\(epochs)", total: steps) }
                bar?.update(completed: step, note: String(format: "loss %.4f", loss))
            }, onEpoch: { epoch, meanLoss in
                print(String(format: "epoch %d/%d: training loss %.4f; saved to %@", epoch, epochs, meanLoss, out))
                try save(model, config: configData, tokenizer: tokenizerData)
            })
        }
    }

    /// Writes config.json, model.safetensors and tokenizer.json into --out, each atomically.
    func save(_ model: Transformer, config: Data, tokenizer: Data) throws {
        let folder = URL(fileURLWithPath: out, isDirectory: true)
        let weights = try runtime { SafetensorsArchive(tensors: try model.huggingFaceWeights(), metadata: ["format": "pt"]).serialized() }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try weights.write(to: folder.appendingPathComponent("model.safetensors"), options: .atomic)
            try config.write(to: folder.appendingPathComponent("config.json"), options: .atomic)
            try tokenizer.write(to: folder.appendingPathComponent("tokenizer.json"), options: .atomic)
        } catch {
            throw RuntimeError("cannot write the checkpoint into \(folder.path): \(error.localizedDescription)")
        }
    }
}
