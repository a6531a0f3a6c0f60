import Alignment
import CommandLineSupport
import Experiments
import Foundation
import Interventions
import Randomness
import Reports
import Tensors
import TokenTasks
import Transformers

extension SearchCommand {
    /// The search on a transformer: layers (their `block_output` sites) x token positions x sizes, with
    /// boundless DAS by default, or the activation-patching grid (`--method patching`).
    func runTransformer() throws {
        let clock = ContinuousClock()
        let started = clock.now
        let methodName = methodName
        let method = AlignmentMethod(rawValue: methodName)   // nil: patching
        let outputs = try SearchOutputs(out: out, json: json, svg: svg)
        let log: (String) -> Void = quiet ? { _ in } : { FileHandle.standardError.write(Data("\($0)\n".utf8)) }

        let tokenTask = try TokenSearchTask.named(task)
        // Training the model shows its own progress (the steps of the language-model training).
        var trainingBar: ProgressBar?
        let (network, encoder, networkSummary) = try TransformerSource.model(
            for: tokenTask, modelPath: self.model, seed: seed, cacheDirectory: outputs.directory, log: log,
            progress: quiet ? nil : { step, steps, loss in
                if trainingBar == nil { trainingBar = ProgressBar(label: "training the \(tokenTask.task.name) transformer", total: steps) }
                trainingBar?.update(completed: step, note: String(format: "loss %.3f", loss))
            })
        let networkSeconds = (clock.now - started).seconds
        let layerCount = network.configuration.layerCount, width = network.configuration.hiddenSize
        let sites = try (parsedLayers() ?? Array(0..<layerCount)).map { layer -> String in
            guard layer < layerCount else {
                throw UsageError("layer \(layer) is outside the model: it has \(layerCount) layer\(layerCount == 1 ? "" : "s"), 0...\(layerCount - 1) (each searched at layer.<i>.block_output)")
            }
            return "layer.\(layer).block_output"
        }
        let positions = try parsedPositions(self.positions ?? "last")
        try checkPositions(positions, encoder: encoder)
        let alone = method == .boundless || method == .sigmoidMask
        let variablesPerRun = alone ? 1 : tokenTask.variables.count
        let sizes: [Int]
        if method == nil {
            // Patching interchanges the whole representation: one "size", the width.
            sizes = [width]
        } else {
            sizes = try parsedDims() ?? (method == .boundless ? [max(width / 2, 1)] : [1, 2, 4, 8].filter { $0 * variablesPerRun <= width })
            if let size = sizes.first(where: { $0 * variablesPerRun > width }) {
                throw UsageError("size \(size) does not fit the model's width \(width): \(variablesPerRun) variable\(variablesPerRun == 1 ? "" : "s") x \(size) > \(width); valid sizes are 1...\(width / variablesPerRun)")
            }
        }
        do {
            _ = try SearchSizes(dims: sizes, variableCount: variablesPerRun, setCount: tokenTask.interventionSets(alone: alone).count,
                                featureCount: network.configuration.maxPositions, epochs: epochs, batchSize: batchSize,
                                trainSize: trainSize, validationSize: validationSize, testSize: testSize)
        } catch let error as SizeError {
            throw UsageError(error.description)
        }
        let shard = try parsedShard()
        let grid = TransformerCell.grid(sites: sites, positions: positions.map(\.description), sizes: sizes)
        let cells = grid.enumerated().filter { $0.offset % shard.count == shard.index - 1 }.map(\.element)

        let sets = tokenTask.interventionSets(alone: alone)
        let data = try method.map { _ in
            try TokenSearchData(task: tokenTask, encoder: encoder, sets: sets, trainingCount: trainSize, validationCount: validationSize,
                                testCount: testSize, seed: seed, validationSeed: validationSeed ?? seed)
        }
        let padToken = encoder.tokenizer.vocabularySize - 1
        let patching = try method == nil
            ? ActivationPatching(model: network, data: ActivationPatching.pairs(encoder: encoder, count: testSize, seed: seed), padToken: padToken)
            : nil
        let configuration = SearchReport.Configuration(
            task: tokenTask.task.name, model: self.model, layers: sites, dims: sizes, method: methodName, epochs: epochs, batchSize: batchSize,
            learningRate: lr, trainSize: method == nil ? 0 : trainSize, validationSize: method == nil ? 0 : validationSize, testSize: testSize,
            seed: seed, validationSeed: validationSeed ?? seed, dasSeeds: method == nil ? [] : try parsedSeeds(),
            restarts: method == nil ? 1 : restarts, positions: positions.map(\.description))
        let runner = TransformerCellRunner(model: network, task: tokenTask, method: method, data: data, patching: patching, padToken: padToken,
                                           configuration: configuration)
        let (reports, cellSeconds) = try runCells(cells, runsPerCell: runner.runsPerCell, quiet: quiet,
                                                  key: { "\($0.site)@\($0.position)/\($0.subspaceSize)" }, runner.run)

        let splits = data?.tests.map(\.name) ?? ["patching"]
        let emptyOverlap = SplitOverlap(training: [], validation: [], tests: [])
        var report = SearchReport(configuration: configuration, network: networkSummary, shard: .init(index: shard.index, count: shard.count),
                                  splits: splits,
                                  changedFractions: Dictionary(uniqueKeysWithValues: data?.tests.map { ($0.name, $0.changedFraction) } ?? []),
                                  overlap: data?.overlap ?? emptyOverlap, mergedInputs: [], cells: reports,
                                  timings: .init(totalSeconds: 0, networkSeconds: networkSeconds, cellSeconds: cellSeconds))
        report.version = SearchReport.transformerVersion
        report.timings.totalSeconds = (clock.now - started).seconds
        try outputs.write(report, networkSeconds: networkSeconds, quiet: quiet)
    }

    /// Every position must exist in every prompt of the task: a slot of its template, `last`, or an
    /// index below the shortest prompt's length (checked on a sample of prompts).
    /// - Throws: `UsageError` naming the position and the positions the template has.
    func checkPositions(_ positions: [TokenPosition], encoder: TokenTaskEncoder) throws {
        var generator = SeededGenerator(seed: seed)
        let lengths = try (0..<64).map { _ in try encoder.example(encoder.task.model.sampleInput(using: &generator)).ids.count }
        let shortest = lengths.min() ?? 0
        let slots = encoder.task.template.slots
        for position in positions {
            let valid: Bool
            switch position {
            case .last: valid = true
            case let .slot(name): valid = slots.contains(name)
            case let .index(index): valid = index < shortest
            }
            guard valid else {
                throw UsageError("position \(position) is not in the \(encoder.task.name) template \"\(encoder.task.template.text)\": its positions are last, the slots \(slots.joined(separator: ", ")) and the indices 0...\(shortest - 1)")
            }
        }
    }
}
