import Alignment
import ArgumentParser
import CausalModels
import CommandLineSupport
import Experiments
import Foundation
import Interventions
import Networks
import Reports
import Tensors

/// The search: options, then network, data, grid, table, JSON and SVG.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Run the layer x subspace-size search (the default subcommand)."
    )

    @Option(help: "The causal task: boolean-and, sum (S1 = X + Y of three digits) or hierarchical-equality for MLPs; price-tagging, sum-of-three or hierarchical-equality as token tasks for transformers.")
    var task = "hierarchical-equality"

    @Option(help: "A saved network directory: an MLP (config.json + model.safetensors) or a Hugging Face transformer checkpoint (config.json with a GPT-2 or Llama model_type, model.safetensors, tokenizer.json); without it one is trained, or reused from --out when the same one was trained before.")
    var model: String?

    @Option(help: "mlp or transformer: the network trained when there is no --model (default: mlp, or transformer for the token-only tasks price-tagging and sum-of-three).")
    var network: String?

    @Option(parsing: .unconditional, help: "Transformers: the token positions to search, e.g. `last`, `X,Y,Z,last` (template slots) or `3,7` (indices into the prompt); a source is read at the same position of its own prompt (the same slot). Default: last.")
    var positions: String?

    @Option(parsing: .unconditional, help: "Hidden layers to search, as `all` or a list such as `0,2` (for a transformer, blocks: the site is layer.<i>.block_output).")
    var layers = "all"

    @Option(parsing: .unconditional, help: "Subspace sizes per variable, e.g. `1,2,4,8` (default: the task's). For boundless DAS the initial interval (default on transformers: half the width); for sigmoid-mask the rotation's rank.")
    var dims: String?

    @Option(help: "rotation (DAS), boundless, sigmoid-mask, or neurons (the identity basis, nothing learned); for transformers also patching (activation patching of the whole representation, scored as the fraction of the logit difference restored). Boundless and sigmoid-mask align each variable on its own. Default: rotation for MLPs, boundless for transformers.")
    var method: String?

    @Option(parsing: .unconditional, help: "DAS training epochs per cell.")
    var epochs = 5

    @Option(parsing: .unconditional, help: "DAS minibatch size.")
    var batchSize = 64

    @Option(parsing: .unconditional, help: "Adam learning rate for DAS (decays linearly to 0).")
    var lr: Float = 0.01

    @Option(parsing: .unconditional, help: "DAS seeds (rotation initialization and example order): a list such as `0,1,2,3,4`, or a count such as `5` (seeds 0..4). Each cell runs once per seed and reports the median with a 95% bootstrap interval; one seed (the default, --seed) reports a binomial interval.")
    var seeds: String?

    @Option(parsing: .unconditional, help: "DAS runs per seed and cell; the one with the best validation IIA is kept.")
    var restarts = 1

    @Option(parsing: .unconditional, help: "Counterfactual training examples per intervention set (e.g. per WX, YZ, WX+YZ).")
    var trainSize = 2000

    @Option(parsing: .unconditional, help: "Validation counterfactuals per intervention set: the best cell and restart are chosen on these, never on the test set.")
    var validationSize = 500

    @Option(parsing: .unconditional, help: "Seed of the validation data (default: --seed); validation, training and test examples are drawn from different seeds, and their overlap is reported.")
    var validationSeed: UInt64?

    @Option(parsing: .unconditional, help: "Held-out test counterfactual examples per intervention set, scored once for each run.")
    var testSize = 1000

    @Option(parsing: .unconditional, help: "Seed of everything random: network, data, rotations, order. Printed in every report.")
    var seed: UInt64 = 0

    @Option(help: "Output folder: the report, plots, and the cache of trained networks.")
    var out = "das-search-output"

    @Option(help: "Where to write the JSON report (default: <out>/report.json).")
    var json: String?

    @Option(help: "Where to write the IIA heatmap (default: <out>/heatmap.svg); the best cell's training curve goes beside it.")
    var svg: String?

    @Option(parsing: .unconditional, help: "Run only slice k of n of the grid, as `k/n` (1 ≤ k ≤ n); merge the reports with `das-search merge`.")
    var shard: String?

    @Option(help: "Also write each cell's training, validation and test counterfactuals to this folder, as the safetensors files scripts/pyvene_das_iia.py reads (to run pyvene on the same network and data).")
    var exportData: String?

    @Option(help: "Search on your own counterfactuals: a JSON Lines dataset as CausalModels writes it (see datasets/). The task, the aligned variables and the data sizes come from the file; needs --model. --task and the --*-size flags are then not used.")
    var data: String?

    @Option(help: "With --data: the validation counterfactuals (default: 10% of the --data file, drawn with --seed).")
    var validation: String?

    @Option(help: "With --data: the test counterfactuals (default: 20% of the --data file, drawn with --seed).")
    var test: String?

    @Option(parsing: .unconditional, help: "Early stopping of each DAS run on validation IIA, as `EVERY,PATIENCE` (a check every EVERY steps; stop after PATIENCE checks without a better one, the best rotation restored), or `off` (the default: with the learning rate decaying to 0 the best rotation is usually the last).")
    var earlyStopping = "off"

    @Flag(help: "Print nothing but errors: no table, no progress.")
    var quiet = false

    /// Whether this search runs on a transformer: a transformer `--model`, `--network transformer`, or a token-only task.
    var searchesTransformer: Bool {
        // A token-only task reads its --model as a transformer, so that an unreadable one is named as such.
        if let model { return TransformerSource.isTransformer(model) || TokenSearchTask.tokenOnlyNames.contains(task) }
        return network == "transformer" || TokenSearchTask.tokenOnlyNames.contains(task)
    }

    /// The method asked for, or the default for the network (boundless for transformers, rotation for MLPs).
    var methodName: String { method ?? (searchesTransformer ? AlignmentMethod.boundless.rawValue : AlignmentMethod.rotation.rawValue) }

    func validate() throws {
        let transformer = searchesTransformer
        if let network, !["mlp", "transformer"].contains(network) {
            throw ValidationError("--network must be mlp or transformer, not '\(network)'")
        }
        let names = transformer ? TokenSearchTask.names : SearchTask.names
        guard names.contains(task) else {
            throw ValidationError("unknown task '\(task)'\(transformer ? " for a transformer" : ""); choose one of \(names.joined(separator: ", "))"
                                  + (transformer ? "" : " (or price-tagging, sum-of-three, which train a transformer)"))
        }
        let methods = AlignmentMethod.allCases.map(\.rawValue) + (transformer ? ["patching"] : [])
        guard methods.contains(methodName) else {
            throw ValidationError("unknown method '\(methodName)'\(methodName == "patching" ? " for an MLP (activation patching needs a transformer's token positions)" : ""); choose one of \(methods.joined(separator: ", "))")
        }
        if !transformer, positions != nil { throw ValidationError("--positions applies to transformers; an MLP's layers have no token positions") }
        if transformer, data != nil { throw ValidationError("--data holds MLP counterfactuals; transformers are searched on their token task's counterfactuals") }
        if transformer, exportData != nil { throw ValidationError("--export-data writes MLP datasets; it does not apply to transformers") }
        if transformer, earlyStopping != "off" { throw ValidationError("--early-stopping applies to MLP searches; transformer searches train every planned step") }
        if let positions { _ = try parsedPositions(positions) }
        for (flag, value) in [("--epochs", epochs), ("--batch-size", batchSize), ("--train-size", trainSize),
                              ("--validation-size", validationSize), ("--test-size", testSize), ("--restarts", restarts)] where value < 1 {
            throw ValidationError("\(flag) must be at least 1, not \(value)")
        }
        guard lr.isFinite, lr > 0 else { throw ValidationError("--lr must be a positive finite number, not \(lr)") }
        _ = try parsedSeeds()
        _ = try parsedLayers()
        _ = try parsedDims()
        _ = try parsedShard()
        _ = try parsedEarlyStopping()
        if data == nil, validation != nil || test != nil { throw ValidationError("--validation and --test go with --data") }
        if data != nil, model == nil { throw ValidationError("--data needs --model, the network to search") }
        // With --data the task and the sizes come from the file; `run` checks them once it is read.
        // A transformer's sizes depend on the model, checked once it is loaded.
        guard data == nil, !transformer else { return }
        let searchTask = try SearchTask.named(task)
        do {
            _ = try SearchSizes(dims: parsedDims() ?? searchTask.defaultSizes,
                                variableCount: alignsVariablesAlone(AlignmentMethod(rawValue: methodName)!) ? 1 : searchTask.variables.count,
                                setCount: searchTask.interventionSets.count, featureCount: searchTask.task.encoding.featureCount,
                                epochs: epochs, batchSize: batchSize, trainSize: trainSize, validationSize: validationSize, testSize: testSize)
        } catch let error as SizeError {
            throw ValidationError(error.description)
        }
    }

    /// `off`, or `EVERY,PATIENCE` with both at least 1.
    func parsedEarlyStopping() throws -> EarlyStopping? {
        guard earlyStopping != "off" else { return nil }
        let parts = earlyStopping.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let every = parts[0], let patience = parts[1], every >= 1, patience >= 1 else {
            throw ValidationError("--early-stopping must be `off` or `EVERY,PATIENCE` with both at least 1, not '\(earlyStopping)'")
        }
        return EarlyStopping(every: every, patience: patience)
    }

    func parsedLayers() throws -> [Int]? {
        guard layers != "all" else { return nil }
        return try Self.integers(layers, atLeast: 0, or: "--layers must be `all` or a comma-separated list of layer numbers, not '\(layers)'")
    }

    func parsedDims() throws -> [Int]? {
        try dims.map { try Self.integers($0, atLeast: 1, or: "--dims must be a comma-separated list of positive sizes, not '\($0)'") }
    }

    /// The comma-separated integers of `text`, each at least `minimum`.
    /// - Throws: `ValidationError(message)` when one is missing, not an integer, or too small.
    static func integers(_ text: String, atLeast minimum: Int, or message: String) throws -> [Int] {
        let values = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? minimum - 1) >= minimum }) else { throw ValidationError(message) }
        let integers = values.map { $0! }
        // A repeated layer or size would run the same cells twice and report them twice: refused, not merged,
        // so a typo in a list is seen rather than silently dropped.
        if let repeated = integers.enumerated().first(where: { integers[..<$0.offset].contains($0.element) })?.element {
            throw ValidationError(message + " (\(repeated) is listed twice)")
        }
        return integers
    }

    /// The DAS seeds: `--seeds` as a list (`0,1,2`) or a count (`5` is 0..4); `[--seed]` without it.
    func parsedSeeds() throws -> [UInt64] {
        guard let seeds else { return [seed] }
        let message = "--seeds must be a comma-separated list of seeds or a count from 1 to 100, not '\(seeds)'"
        if !seeds.contains(",") {
            guard let count = Int(seeds.trimmingCharacters(in: .whitespaces)), (1...100).contains(count) else { throw ValidationError(message) }
            return (0..<UInt64(count)).map { $0 }
        }
        let values = seeds.split(separator: ",", omittingEmptySubsequences: false).map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        guard values.allSatisfy({ $0 != nil }), values.count <= 100, Set(values).count == values.count else { throw ValidationError(message + " (seeds must differ)") }
        return values.map { $0! }
    }

    func parsedShard() throws -> (index: Int, count: Int) {
        guard let shard else { return (1, 1) }
        guard let parsed = Self.shard(parsing: shard) else { throw ValidationError("--shard must be k/n with 1 ≤ k ≤ n, not '\(shard)'") }
        return parsed
    }

    /// `k/n` as (k, n) when it is exactly two integers with 1 ≤ k ≤ n; `1//2`, `/1/1` and `2/1` are nil.
    static func shard(parsing text: String) -> (index: Int, count: Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let index = parts[0], let count = parts[1], count >= 1, (1...count).contains(index) else { return nil }
        return (index, count)
    }

    /// The `--positions` list: non-empty names, none twice.
    func parsedPositions(_ text: String) throws -> [TokenPosition] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty && (Int($0).map { $0 >= 0 } ?? true) }) else {
            throw ValidationError("--positions must be a comma-separated list of `last`, template slots or indices ≥ 0, not '\(text)'")
        }
        if let repeated = names.enumerated().first(where: { names[..<$0.offset].contains($0.element) })?.element {
            throw ValidationError("--positions must be a comma-separated list of `last`, template slots or indices ≥ 0, not '\(text)' (\(repeated) is listed twice)")
        }
        return names.map(TokenPosition.init(parsing:))
    }

    func run() throws {
        if searchesTransformer { return try runTransformer() }
        let clock = ContinuousClock()
        let started = clock.now
        let method = AlignmentMethod(rawValue: methodName)!
        let outputs = try SearchOutputs(out: out, json: json, svg: svg)
        if let exportData { try OutputFiles.prepareFolder(URL(fileURLWithPath: exportData), for: "--export-data \(exportData)") }
        let log: (String) -> Void = quiet ? { _ in } : { FileHandle.standardError.write(Data("\($0)\n".utf8)) }
        // Your own data is read (and a malformed line reported) before any network is trained.
        let files = try data.map { try DatasetFiles(training: $0, validation: validation, test: test) }
        let searchTask = try files.map { try SearchTask.reading($0.training) } ?? SearchTask.named(task)

        let (network, networkSummary) = try NetworkSource.network(for: searchTask, modelPath: model, seed: seed, cacheDirectory: outputs.directory, log: log)
        let networkSeconds = (clock.now - started).seconds
        let sites = try (parsedLayers() ?? network.sites.map(\.layer)).map { layer -> String in
            guard network.sites.contains(Site(layer: layer)) else {
                throw UsageError("layer \(layer) is outside the network; its hidden layers are 0...\(network.sites.count - 1)")
            }
            return "layer.\(layer)"
        }
        let sizes = try parsedDims() ?? searchTask.defaultSizes
        let variablesPerRun = method == .boundless || method == .sigmoidMask ? 1 : searchTask.variables.count
        for site in sites {
            let width = try network.width(of: Site(parsing: site))
            // `validate()` checked that size × variables fits in an Int.
            if let size = sizes.first(where: { $0 * variablesPerRun > width }) {
                throw UsageError("size \(size) does not fit \(site): \(variablesPerRun) variable\(variablesPerRun == 1 ? "" : "s") x \(size) > its width \(width); valid sizes are 1...\(width / variablesPerRun)")
            }
        }
        let grid = try AlignmentGrid(network: network, sites: sites, sizes: sizes, variableCount: variablesPerRun)
        let shard = try parsedShard()
        let cells = grid.shard(shard.index - 1, of: shard.count)
        let data: SearchData
        if let files {
            data = try files.splits(for: searchTask.task, seed: validationSeed ?? seed, note: log)
            do {
                _ = try SearchSizes(dims: sizes, variableCount: variablesPerRun, setCount: 1, featureCount: searchTask.task.encoding.featureCount,
                                    epochs: epochs, batchSize: batchSize, trainSize: data.training.count,
                                    validationSize: data.validationSets[0].count, testSize: data.tests[0].count)
            } catch let error as SizeError {
                throw UsageError(error.description)
            }
        } else {
            data = SearchData(try ExperimentData(task: searchTask.task, variables: searchTask.variables, interventionSets: searchTask.interventionSets,
                                                 trainingCount: trainSize, validationCount: validationSize, testCount: testSize, seed: seed,
                                                 validationSeed: validationSeed ?? seed))
        }

        let configuration = SearchReport.Configuration(
            task: searchTask.name, model: model, layers: sites, dims: sizes, method: method.rawValue, epochs: epochs, batchSize: batchSize,
            learningRate: lr, trainSize: files == nil ? trainSize : data.training.count,
            validationSize: files == nil ? validationSize : data.validationSets[0].count, testSize: files == nil ? testSize : data.tests[0].count, seed: seed,
            validationSeed: validationSeed ?? seed, dasSeeds: try parsedSeeds(), restarts: restarts,
            earlyStopping: try parsedEarlyStopping(),
            dataFiles: files.map { _ in [self.data, validation, test].compactMap { $0 } })
        if let exportData {
            let folder = URL(fileURLWithPath: exportData)
            for cell in cells where !alignsVariablesAlone(method) {
                let sizes = searchTask.variables.map { _ in cell.subspaceSize }
                func write(_ dataset: AlignmentDataset, _ split: String) throws {
                    try dataset.write(to: folder.appendingPathComponent("\(split)-\(cell.site)-\(cell.subspaceSize).safetensors"), site: cell.site, subspaceSizes: sizes)
                }
                try write(data.training, "train")
                try write(AlignmentDataset.concatenating(data.validation), "validation")
                for test in data.tests { try write(test, "test-\(test.name)") }
            }
        }
        let runner = CellRunner(network: network, searchTask: searchTask, method: method, data: data, configuration: configuration)
        let (reports, cellSeconds) = try runCells(cells, runsPerCell: runner.runsPerCell, quiet: quiet,
                                                  key: { "\($0.site)/\($0.subspaceSize)" }, runner.run)

        var report = SearchReport(configuration: configuration, network: networkSummary, shard: .init(index: shard.index, count: shard.count),
                                  splits: data.tests.map(\.name),
                                  changedFractions: Dictionary(uniqueKeysWithValues: data.tests.map { ($0.name, $0.changedFraction) }),
                                  overlap: data.overlap,
                                  mergedInputs: try MergedInputs.report(network: network, task: searchTask.task, sites: sites),
                                  cells: reports, timings: .init(totalSeconds: 0, networkSeconds: networkSeconds, cellSeconds: cellSeconds))
        report.timings.totalSeconds = (clock.now - started).seconds
        try outputs.write(report, networkSeconds: networkSeconds, quiet: quiet)
    }
}

/// Boundless and sigmoid-mask DAS align one variable at a time; their data is not exported.
private func alignsVariablesAlone(_ method: AlignmentMethod) -> Bool { method == .boundless || method == .sigmoidMask }

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
