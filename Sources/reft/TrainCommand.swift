import ArgumentParser
import CommandLineSupport
import Foundation
import Interventions
import Networks
import ReFT
import Reports
import Tensors
import Transformers

/// `reft train`: a ReFT (or LoRA) adapter on a frozen model, from prompt/completion pairs.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a ReFT or LoRA adapter on a frozen model from JSON Lines prompt/completion pairs.",
        discussion: """
            The data is JSON Lines, one {"prompt": "...", "completion": "..."} a line; the loss counts only the \
            completion's tokens (plus the end-of-sequence token, unless --no-eos). The base model is frozen: only \
            the adapter's parameters train, with AdamW, a linear warm-up (--warmup-ratio of all steps) and a linear \
            decay to zero.

            ReFT (--type loreft, direft, noreft, consreft or lobireft): rank-k interventions at --site of each of \
            --layers, acting on the prompt tokens --positions selects: f<n> the first n, l<n> the last n, f<n>+l<m> \
            both (with separate weights for the two parts unless --share-weights). LoReFT edits \
            h + Rᵀ(Wh + b − Rh) and has 2dk + k parameters per intervention. \
            LoRA (--type lora): rank-r updates W + (α/r)·B·A of the --lora-targets projections (q, k, v, o, gate, \
            up, down, or all) of each of --layers; B starts at zero.

            After every epoch the adapter is saved atomically in --out with its training state \
            (training-state.json, training-state.safetensors: AdamW's moments and step count); --resume continues \
            from there and ends exactly where an uninterrupted run would. A NaN or infinite loss stops training \
            with the last epoch's adapter kept. --validation FILE gives a held-out loss and exact-match accuracy \
            (every completion token the model's top choice) after each epoch. --json PATH writes \
            {"schema": "interchange.reft.train", "version": 1, ...} with the per-epoch history.

            Examples:
              reft train --model tiny --data style.jsonl --type loreft --rank 4 --layers 2,4 --positions f1+l1 \\
                  --epochs 10 --lr 4e-3 --out style-adapter
              reft train --model tiny --data style.jsonl --validation held.jsonl --type loreft --rank 1 --layers all \\
                  --positions l1 --share-weights --epochs 20 --lr 1e-2 --out style-adapter --json train.json
              reft train --model tiny --data style.jsonl --type loreft --rank 4 --layers 2,4 --positions f1+l1 \\
                  --epochs 10 --lr 4e-3 --out style-adapter --resume
              reft train --model tiny --data style.jsonl --type lora --rank 8 --lora-alpha 16 --lora-targets q,v \\
                  --layers all --epochs 5 --lr 1e-3 --out lora-adapter
              reft generate --model tiny --adapter style-adapter --prompt "Tell me about the sea"
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp("The training pairs, JSON Lines.", valueName: "file.jsonl"))
    var data: String

    @Option(help: ArgumentHelp("Held-out pairs, evaluated after every epoch.", valueName: "file.jsonl"))
    var validation: String?

    @Option(help: "The prompt template; {prompt} is replaced by each prompt.")
    var template: String?

    @Flag(help: "Do not append the model's end-of-sequence token to each completion.")
    var noEOS = false

    @Option(help: "loreft, direft, noreft, consreft, lobireft, or lora.")
    var type = "loreft"

    @Option(help: "The rank: k of each ReFT intervention, r of each LoRA update.")
    var rank = 4

    @Option(help: "The layers that carry the adapter: a comma-separated list such as 2,4,6 or all.")
    var layers = "all"

    @Option(help: "ReFT: the prompt positions acted on, f<n>, l<n> or f<n>+l<m>.")
    var positions = "f1+l1"

    @Flag(help: "ReFT with f<n>+l<m>: one intervention per layer for both parts instead of one each.")
    var shareWeights = false

    @Option(help: "ReFT: the site within each layer: block_input, attention_output, mlp_output or block_output.")
    var site = "block_output"

    @Option(help: "ReFT: the learned map's activation (identity, relu, tanh, gelu, ...).")
    var activation = "identity"

    @Option(help: "ReFT: dropout on the intervention's output while training.")
    var dropout: Float = 0

    @Option(help: "LoRA: the projections adapted, from q, k, v, o, gate, up, down (comma-separated) or all.")
    var loraTargets = "q,v"

    @Option(help: "LoRA: α; the update is scaled by α / r (default 2r).")
    var loraAlpha: Float?

    @Option(help: "Passes over the data.")
    var epochs = 3

    @Option(help: "The peak learning rate.")
    var lr: Float = 4e-3

    @Option(help: "Examples per step.")
    var batchSize = 8

    @Option(help: "The fraction of steps spent warming up.")
    var warmupRatio: Float = 0.1

    @Option(help: "AdamW's decoupled weight decay.")
    var weightDecay: Float = 0

    @Option(help: "Seeds the adapter's initial values, the data order and dropout.")
    var seed: UInt64 = 0

    @Flag(help: "Continue the run whose adapter and training state are in --out.")
    var resume = false

    @Option(help: "Stop after this many epochs of this invocation (the adapter and state are saved; continue later with --resume).")
    var stopAfter: Int?

    @Option(help: ArgumentHelp("The adapter folder to write (and, with --resume, to continue).", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("Also write the run's settings and per-epoch history as JSON here.", valueName: "path"))
    var json: String?

    var isLoRA: Bool { type == LoRAAdapter.typeName }

    func validate() throws {
        guard isLoRA || ReFTIntervention.Kind(rawValue: type) != nil else {
            throw ValidationError("--type '\(type)' is not one of \(ReFTIntervention.Kind.allCases.map(\.rawValue).joined(separator: ", ")), lora")
        }
        guard rank >= 1 else { throw ValidationError("--rank must be at least 1, got \(rank)") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        if let stopAfter, stopAfter < 1 { throw ValidationError("--stop-after must be at least 1, got \(stopAfter)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number, got \(lr)") }
        guard warmupRatio >= 0, warmupRatio < 1 else { throw ValidationError("--warmup-ratio must be in [0, 1), got \(warmupRatio)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw ValidationError("--weight-decay must not be negative, got \(weightDecay)") }
        do { _ = try LayerSpec(parsing: layers) } catch { throw ValidationError("--layers: \(error)") }
        if isLoRA {
            do { _ = try LoRATarget.parse(loraTargets) } catch { throw ValidationError("--lora-targets: \(error)") }
            if let loraAlpha, !(loraAlpha > 0 && loraAlpha.isFinite) { throw ValidationError("--lora-alpha must be positive, got \(loraAlpha)") }
        } else {
            do { _ = try PositionSpec(parsing: positions) } catch { throw ValidationError("--positions: \(error)") }
            guard Site.Component(rawValue: site) != nil else {
                throw ValidationError("--site '\(site)' is not one of \(Site.Component.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard Activation(rawValue: activation) != nil else {
                throw ValidationError("--activation '\(activation)' is not one of \(Activation.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard dropout >= 0, dropout < 1 else { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
        }
    }

    func run() throws {
        try checkWritable(json)
        let outURL = URL(fileURLWithPath: out, isDirectory: true)
        let stateExists = FileManager.default.fileExists(atPath: outURL.appendingPathComponent("training-state.json").path)
        if resume, !stateExists {
            throw UsageError("--resume: \(out) holds no training state (training-state.json); train without --resume first")
        }
        if !resume, FileManager.default.fileExists(atPath: outURL.appendingPathComponent(ReFTAdapter.descriptionFileName).path) {
            throw UsageError("--out '\(out)' already holds an adapter; pass --resume to continue it, or choose another folder")
        }
        let configuration = try modelOptions.loadConfiguration()
        // Check the adapter's description against the architecture before reading any weight.
        let layerIndices: [Int]
        do { layerIndices = try LayerSpec(parsing: layers).resolve(layerCount: configuration.layerCount) } catch {
            throw UsageError("--layers: \(error)")
        }
        if !isLoRA, rank > configuration.hiddenSize {
            throw UsageError("--rank \(rank) is larger than the model's width \(configuration.hiddenSize) (hidden_size)")
        }
        let tokenizer = try modelOptions.loadTokenizer(neededFor: "reading --data")
        let eos = noEOS ? nil : try modelOptions.endOfSequenceIDs().first
        func dataset(_ path: String, flag: String) throws -> PromptCompletionDataset {
            guard FileManager.default.fileExists(atPath: path) else { throw UsageError("\(flag) '\(path)' does not exist") }
            do {
                return try PromptCompletionDataset(contentsOf: URL(fileURLWithPath: path), tokenizer: tokenizer, template: template, endOfSequence: eos)
            } catch { throw UsageError("\(flag): \(error)") }
        }
        let trainingData = try dataset(data, flag: "--data")
        let held = try validation.map { try dataset($0, flag: "--validation") }
        let model = try modelOptions.loadModel(configuration)
        let options = ReFTTrainingOptions(epochs: epochs, batchSize: batchSize, learningRate: lr, warmupRatio: warmupRatio,
                                          weightDecay: weightDecay, seed: seed, padToken: eos ?? 0)
        if isLoRA {
            let spec = LoRASpec(rank: rank, alpha: loraAlpha ?? Float(2 * rank), layers: .list(layerIndices), targets: try LoRATarget.parse(loraTargets))
            let adapter: LoRAAdapter
            do { adapter = try LoRAAdapter(spec: spec, model: model, seed: seed) } catch { throw UsageError("\(error)") }
            if resume {
                let saved = try runtime { try LoRAAdapter.load(from: outURL, for: model) }
                guard saved.spec == spec else { throw UsageError("--resume: \(out) holds a LoRA adapter with other settings than these flags") }
            }
            try train(ReFTTrainer(model: model, adapter: adapter, data: trainingData, validation: held, options: options),
                      description: "LoRA rank \(rank), alpha \(spec.alpha), layers \(layerIndices.map(String.init).joined(separator: ",")), targets \(spec.targets.map(\.rawValue).joined(separator: ","))",
                      model: model)
        } else {
            let spec = ReFTSpec(kind: ReFTIntervention.Kind(rawValue: type)!, rank: rank, layers: .list(layerIndices),
                                component: Site.Component(rawValue: site)!, positions: try PositionSpec(parsing: positions),
                                shareWeights: shareWeights, activation: Activation(rawValue: activation)!, dropout: dropout)
            let adapter: ReFTAdapter
            do { adapter = try ReFTAdapter(spec: spec, model: configuration, seed: seed) } catch { throw UsageError("\(error)") }
            if resume {
                let saved = try runtime { try ReFTAdapter.load(from: outURL, for: configuration) }
                guard saved.spec == spec else {
                    throw UsageError("--resume: \(out) holds a \(saved.spec) adapter; these flags ask for \(spec)")
                }
            }
            try train(ReFTTrainer(model: model, adapter: adapter, data: trainingData, validation: held, options: options),
                      description: spec.description, model: model)
        }
    }

    /// Runs (or resumes) `trainer`, printing each epoch, a progress bar on stderr, and the report.
    func train<Adapter: TrainableAdapter>(_ trainer: ReFTTrainer<Adapter>, description: String, model: Transformer) throws {
        let outURL = URL(fileURLWithPath: out, isDirectory: true)
        if resume {
            do { try trainer.resume(from: outURL) } catch let error as ReFTError {
                if case .cannotResume = error { throw UsageError("--resume: \(error)") }
                throw RuntimeError("\(error)")
            }
        }
        let trainable = trainer.adapter.parameterCount
        let total = model.parameterCount
        print("\(description)")
        print(String(format: "trainable parameters: %d (%.4f%% of the model's %d)", trainable, 100 * Double(trainable) / Double(total), total))
        print("\(trainer.data.examples.count) training examples\(trainer.validation.map { ", \($0.examples.count) held out" } ?? ""); \(trainer.options.stepsPerEpoch(exampleCount: trainer.data.examples.count)) steps per epoch")
        if resume {
            print(trainer.completedEpochs == epochs ? "all \(epochs) epochs are done already; nothing to train"
                                                    : "resuming after epoch \(trainer.completedEpochs) of \(epochs)")
        }
        var bar: ProgressBar?
        do {
            try trainer.train(savingTo: outURL, maxEpochs: stopAfter, onStep: { epoch, step, steps, loss in
                if step == 1 { bar = ProgressBar(label: "epoch \(epoch)/\(epochs)", total: steps) }
                bar?.update(completed: step, note: String(format: "loss %.4f", loss))
            }, onEpoch: { record in
                var line = String(format: "epoch %d/%d: training loss %.4f", record.epoch, epochs, record.trainingLoss)
                if let validation = record.validation {
                    line += String(format: ", held-out loss %.4f, exact-match accuracy %.1f%% of %d", validation.loss, 100 * validation.accuracy, validation.examples)
                }
                print(line + "; saved to \(out)")
            })
        } catch {
            throw RuntimeError("\(error)")
        }
        if let json {
            try writeJSON(TrainReport(type: type, description: description, trainableParameters: trainable, modelParameters: total,
                                      adapter: out, history: trainer.history), to: json)
        }
    }
}

/// `reft train --json`'s report.
struct TrainReport: Encodable {
    var schema = "interchange.reft.train"
    var version = 1
    let type: String
    let description: String
    let trainableParameters: Int
    let modelParameters: Int
    let adapter: String
    let history: [ReFTEpochRecord]

    enum CodingKeys: String, CodingKey {
        case schema, version, type, description, adapter, history
        case trainableParameters = "trainable_parameters", modelParameters = "model_parameters"
    }
}
