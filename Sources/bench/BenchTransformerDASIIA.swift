import Alignment
import ArgumentParser
import CausalModels
import Foundation
import Tensors
import TokenTasks
import Transformers

/// `bench das-transformer-iia`: Interchange's side of the same-network, same-data comparison with pyvene on a
/// token-task transformer (issue 10, point 5). `bench/reference/compare_transformer_das.py` runs it, then
/// pyvene on the files it writes.
struct TransformerDASIIABenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "das-transformer-iia",
        abstract: "Boundless DAS per layer and seed on a token-task transformer; writes the data for pyvene's side.",
        discussion: """
            Gets the task's small GPT-2 (TokenTaskCheckpoint.trainedModel: trained and cached under <out>/networks in
            Hugging Face format, or read from there), draws --train-size training and --test-size test counterfactuals
            intervening on --variable, drawn as `das-search --task <task> --seed <seed>` draws them (balanced labels, the
            same seeds), and writes them to <out>/train.jsonl and
            <out>/test.jsonl (schema interchange.token-task-counterfactuals, read by
            bench/reference/pyvene_transformer_das.py). Then, for each of --layers and --seeds, trains boundless DAS at
            layer.<i>.block_output, token --position (a slot such as Z, or last) of the base and of the source, with
            TransformerAlignmentSearch.train: --epochs over the training set in batches of --batch-size, Adam at --lr
            decaying linearly to 0, temperature 50 to 0.1, the interval starting on the first half of the rotated
            coordinates (as pyvene's boundary 0.5); and scores IIA on the test set (argmax over the whole
            vocabulary at the last position), on all test examples and on those whose answer the intervention changes. Writes --json (default <out>/interchange.json): the checkpoint, the
            data, the recipe and per (layer, seed) the steps, seconds, test IIA and learned size.
            """
    )

    /// The variables `das-search` aligns on each task, in its order (which fixes each one's data seeds).
    static let searchedVariables = ["price-tagging": ["LB", "UB"], "sum-of-three": ["S1"], "hierarchical-equality": ["WX", "YZ"]]

    @OptionGroup var options: BenchmarkOptions

    @Option(help: "Token task: \(TokenTask.builtInNames.joined(separator: ", ")).")
    var task = "price-tagging"
    @Option(help: "The causal variable aligned (boundless DAS aligns one).")
    var variable = "LB"
    @Option(help: "Layers (comma-separated; the site is layer.<i>.block_output), or all.")
    var layers = "all"
    @Option(help: "Token position: a template slot (e.g. Z), last, or an index.")
    var position = "last"
    @Option(help: "Rotation seeds, comma-separated.")
    var seeds = "0,1,2"
    @Option(name: .customLong("train-size"), help: "Training counterfactuals.") var trainSize = 2000
    @Option(name: .customLong("test-size"), help: "Test counterfactuals.") var testSize = 1000
    @Option(help: "DAS epochs (das-search's default).") var epochs = 5
    @Option(name: .customLong("batch-size"), help: "DAS minibatch (das-search's default).") var batchSize = 64
    @Option(help: "Adam's learning rate, decaying linearly to 0 (das-search's default).") var lr: Float = 0.01
    @Option(help: "Seed of the model (its cache entry) and of the data draws.")
    var seed: UInt64 = 0
    @Option(help: "Output folder: the data files, the JSON, and the model cache under networks/.")
    var out = "das-search-output/pyvene-comparison"
    @Option(help: "Model cache root (default: das-search-output/networks).")
    var cache = "das-search-output/networks"
    @Option(help: "The JSON report (default: <out>/interchange.json).")
    var json: String?

    func validate() throws {
        guard trainSize >= 1, testSize >= 1, epochs >= 1, batchSize >= 1 else {
            throw ValidationError("--train-size, --test-size, --epochs and --batch-size must be at least 1")
        }
        guard lr.isFinite, lr > 0 else { throw ValidationError("--lr \(lr): expected a positive finite number") }
        _ = try parsedSeeds()
    }

    private func parsedSeeds() throws -> [UInt64] {
        let parsed = seeds.split(separator: ",", omittingEmptySubsequences: false).map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil }), Set(parsed).count == parsed.count else {
            throw ValidationError("--seeds \(seeds): expected distinct comma-separated non-negative integers")
        }
        return parsed.map { $0! }
    }

    func run() throws {
        _ = options.applyThreads()
        let tokenTask = try TokenTask.builtIn(named: task)
        let folder = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let trained = try TokenTaskCheckpoint.trainedModel(task: tokenTask, options: .defaults(for: tokenTask), seed: seed,
                                                          cacheRoot: URL(fileURLWithPath: cache, isDirectory: true))
        let model = trained.model
        let layerList: [Int]
        if layers == "all" {
            layerList = Array(0..<model.configuration.layerCount)
        } else {
            let parsed = layers.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil && (0..<model.configuration.layerCount).contains($0!) }) else {
                throw ValidationError("--layers \(layers): the model has layers 0...\(model.configuration.layerCount - 1)")
            }
            layerList = parsed.map { $0! }
        }
        FileHandle.standardError.write(Data("model: \(trained.directory.path) (\(trained.fromCache ? "cached" : "trained now"), held-out accuracy \(trained.heldOutAccuracy))\n".utf8))

        // The draws of `das-search --task <task>` for this variable: balanced labels, training seed
        // seed·1000 + i and test seed·1000 + 500 + i, i the variable's index among the task's aligned variables.
        let index = UInt64(Self.searchedVariables[task]?.firstIndex(of: variable) ?? 0)
        func draw(_ count: Int, _ dataSeed: UInt64) throws -> TokenAlignmentDataset {
            let sampled = try CounterfactualDataset(sampling: tokenTask.model, intervening: [variable], count: count, seed: dataSeed,
                                                    options: CounterfactualOptions(balancesLabels: true))
            return try TokenAlignmentDataset(sampled, variables: [variable], encoder: trained.encoder)
        }
        let train = try draw(trainSize, seed &* 1000 &+ index), test = try draw(testSize, seed &* 1000 &+ 500 &+ index)
        // A position the prompts lack is refused before anything is written.
        if train.count > 0 { _ = try TokenPosition(parsing: position).resolve(named: train.basePositions[0], length: train.baseIDs[0].count) }
        let answers = Array(Set(trained.encoder.answerIDs.values))
        try TokenCounterfactualFile.write(train, task: task, answerIDs: answers, to: folder.appendingPathComponent("train.jsonl"))
        try TokenCounterfactualFile.write(test, task: task, answerIDs: answers, to: folder.appendingPathComponent("test.jsonl"))
        // IIA means something only where the intervention changes the answer: also scored on those alone.
        let changed = try test.rows(test.labels.indices.filter { test.labels[$0] != test.baseLabels[$0] })
        let padToken = trained.tokenizer.vocabularySize - 1
        let width = model.configuration.hiddenSize

        var runs: [[String: Any]] = []
        let clock = ContinuousClock()
        for layer in layerList {
            for dasSeed in try parsedSeeds() {
                let configuration = DASConfiguration(
                    site: "layer.\(layer).block_output", variables: [variable], subspaceSizes: [width / 2], method: .boundless,
                    epochs: epochs, batchSize: batchSize, learningRate: lr, seed: dasSeed, temperatureStart: 50, temperatureEnd: 0.1)
                let search = try TransformerAlignmentSearch(model: model, configuration: configuration, position: TokenPosition(parsing: position))
                let seconds = MachineMeasurements.seconds(try clock.measure { try search.train(on: train, padToken: padToken) })
                let iia = try search.interchangeInterventionAccuracy(on: test, padToken: padToken)
                let iiaChanged = try search.interchangeInterventionAccuracy(on: changed, padToken: padToken)
                runs.append(["layer": layer, "seed": dasSeed, "steps": search.stepCount(forExamples: train.count), "seconds": seconds,
                             "iia": iia, "iia_changed": iiaChanged, "learned_size": search.learnedSubspaceSize ?? -1, "final_loss": Double(search.epochLosses.last ?? .nan)])
                FileHandle.standardError.write(Data(String(format: "[interchange] layer %d seed %llu: %d steps in %.2f s, IIA %.3f, size %d\n",
                                                           layer, dasSeed, search.stepCount(forExamples: train.count), seconds, iia,
                                                           search.learnedSubspaceSize ?? -1).utf8))
            }
        }
        let report: [String: Any] = [
            "schema": "interchange.bench.das-transformer-iia", "version": 1, "library": "interchange",
            "model": trained.directory.path, "heldOutAccuracy": trained.heldOutAccuracy, "task": task, "variable": variable,
            "position": position, "threads": LinearAlgebraBackend.threadCount,
            "data": ["train": folder.appendingPathComponent("train.jsonl").path, "test": folder.appendingPathComponent("test.jsonl").path,
                     "trainCount": train.count, "testCount": test.count, "testChangedFraction": test.changedFraction,
                     "testChangedCount": changed.count],
            "recipe": ["epochs": epochs, "batchSize": batchSize, "learningRate": Double(lr), "schedule": "linear",
                       "warmupFraction": 0.0, "temperatureStart": 50.0, "temperatureEnd": 0.1, "initialSize": width / 2],
            "runs": runs,
        ]
        let destination = URL(fileURLWithPath: json ?? folder.appendingPathComponent("interchange.json").path)
        try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]).write(to: destination, options: .atomic)
        print(table(["layer", "seed", "steps", "seconds", "test IIA", "on changed answers", "learned size"], runs.map { run in
            ["\(run["layer"]!)", "\(run["seed"]!)", "\(run["steps"]!)", String(format: "%.2f", run["seconds"] as! Double),
             String(format: "%.3f", run["iia"] as! Double), String(format: "%.3f", run["iia_changed"] as! Double), "\(run["learned_size"]!)"]
        }))
        print("wrote \(destination.path)")
    }
}
