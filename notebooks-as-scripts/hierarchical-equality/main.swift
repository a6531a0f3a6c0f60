// Hierarchical equality, O = ((W == X) == (Y == Z)), in two parts:
//   1. correctness: a hand-built network hides WX and YZ behind a random rotation; DAS must find them;
//   2. trained networks: five networks, DAS at every hidden layer beside its controls; at layer.0 a fair
//      comparison with pyvene (when .venv-reference exists: `make bench` or `bash bench/reference/setup.sh`):
//      the same recipe on both sides over five rotation seeds, then equal wall-clock time.
//
//   swift run -c release hierarchical-equality [--out DIR] [--seeds N | --networks 0,2] [--rotation-seeds N]
//       [--learning-rates 0.001,0.01] [--equal-time-seeds N] [--skip-pyvene] [--skip-hand-built] [--threads N]
//       [--recipe standard|tutorial] [--early-stopping EVERY,PATIENCE|off] [--das-train-size N] [--das-epochs N] [--das-batch-size N]
//
// Prints the story and tables, writes DIR/hierarchical-equality-iia.svg (default DIR: hierarchical-equality-output).

import Alignment
import CausalModels
import Experiments
import Foundation
import Interventions
import Networks
import Reports
import Tensors

LinearAlgebraBackend.prepareProcess()
let flags = NotebookFlags.ofThisProcess(
    program: "hierarchical-equality", summary: "DAS on hierarchical equality: a hand-built network, then trained ones beside their controls and pyvene.",
    accepted: [.option("--out", "DIR", "Where the plots go (default hierarchical-equality-output)."),
               .option("--seeds", "N", "Run the networks of seeds 0..N-1 (default 5)."),
               .option("--networks", "LIST", "Run the networks of these seeds, e.g. 0,2 (instead of --seeds)."),
               .option("--rotation-seeds", "N", "Rotation seeds per network at layer.0 (default 5)."),
               .option("--learning-rates", "LIST", "Learning rates to compare, e.g. 0.001,0.01 (default: each side chooses)."),
               .option("--equal-time-seeds", "N", "Rotation seeds that also get the equal-wall-clock comparison (default --rotation-seeds)."),
               .option("--threads", "N", "BLAS threads (default 1)."),
               .option("--recipe", "NAME", "How the trained networks are made: standard (default; 100 objects, 100,000 examples) or tutorial (pyvene's DAS tutorial: continuous random objects, 2^20 examples)."),
               .option("--early-stopping", "EVERY,PATIENCE", "DAS early stopping on validation IIA: a check every EVERY steps, stop after PATIENCE without a better one (default off: measured on all five networks it changed no median by more than 0.005 and saved no time, as the decaying rate puts the best rotation near the end)."),
               .option("--das-train-size", "N", "DAS training counterfactuals per intervention set (default 6400)."),
               .option("--das-epochs", "N", "DAS epochs (default 5)."),
               .option("--das-batch-size", "N", "DAS minibatch size (default 64)."),
               .toggle("--skip-pyvene", "Do not run pyvene."),
               .toggle("--skip-hand-built", "Skip part 1, the hand-built network.")])
let outputDirectory = URL(fileURLWithPath: flags.value(of: "--out") ?? "hierarchical-equality-output")
let seedCount = flags.integer("--seeds", default: 5, in: 1...1_000)
let rotationSeedCount = flags.integer("--rotation-seeds", default: 5, in: 1...1_000)
/// The networks (by seed) to run: `--networks 0,2`, or the first `--seeds N`.
let networkSeeds: [UInt64] = flags.integers("--networks", default: Array(0..<seedCount), in: 0...Int.max).map { UInt64($0) }
/// How many rotation seeds also get the equal-wall-clock comparison (it costs as much as pyvene's runs).
let equalTimeSeedCount = flags.integer("--equal-time-seeds", default: rotationSeedCount, in: 0...1_000)
let threads = flags.integer("--threads", default: 1, in: 1...1_024)
let runsPyvene = !flags.contains("--skip-pyvene")
let recipeName = flags.value(of: "--recipe") ?? "standard"
guard let recipe = ["standard": HierarchicalEquality.NetworkRecipe.standard, "tutorial": .pyveneTutorial][recipeName] else {
    FileHandle.standardError.write(Data("hierarchical-equality: --recipe must be standard or tutorial, got \(recipeName)\n".utf8))
    exit(2)
}
/// Early stopping for every DAS run of part 2 (`nil` with `--early-stopping off`, the default).
let earlyStopping: EarlyStopping? = {
    let text = flags.value(of: "--early-stopping") ?? "off"
    if text == "off" { return nil }
    let numbers = text.split(separator: ",").compactMap { Int($0) }
    guard numbers.count == 2, numbers.allSatisfy({ $0 >= 1 }) else {
        FileHandle.standardError.write(Data("hierarchical-equality: --early-stopping must be EVERY,PATIENCE (two integers ≥ 1) or off, got \(text)\n".utf8))
        exit(2)
    }
    return EarlyStopping(every: numbers[0], patience: numbers[1])
}()
LinearAlgebraBackend.threadCount = threads
try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
let task = try CausalTask.hierarchicalEquality()
let splits = ["WX", "YZ", "WX+YZ"]
func format(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "-" }
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

// MARK: Part 1

if !flags.contains("--skip-hand-built") {

    print("""
    == Hierarchical equality: O = ((W == X) == (Y == Z)) ==
    \(task.summary).

    Part 1: correctness. A hand-built network computes the task exactly with WX in hidden neurons 0..7
    and YZ in 8..15 of its first layer; its second layer mixes those 16 neurons by a random orthogonal
    matrix (and the third undoes it), so the function is unchanged but no neuron of layer.1 holds one
    variable. DAS must find the rotation: WX on rotated coordinates 0..7, YZ on 8..15 (best of 3 restarts by validation IIA).

    """)
    let mixed = try HierarchicalEquality.mixedNetwork(task: task, mixingSeed: 1)
    let factualCheck = try HierarchicalEquality.factualData(task: task, count: 10_000, seed: 11)
    print("Accuracy of the hand-built network on 10000 inputs: \(format(try mixed.accuracy(inputs: factualCheck.inputs, labels: factualCheck.labels))).")
    let mixedData = try HierarchicalEquality.data(task: task, trainingCount: 8000, validationCount: 1000, testCount: 2000, seed: 12)
    let (mixedResult, _) = try DistributedAlignmentSearch.alignWithControls(
        network: mixed, configuration: HierarchicalEquality.configuration(site: "layer.1", epochs: 30, batchSize: 64, learningRate: 0.01, seed: 0),
        training: mixedData.training, validation: mixedData.validation, tests: mixedData.tests, randomNetworkSeed: 13, restarts: 3)
    print("\nIIA at layer.1 (2000 test examples per split):\n")
    print(TextTable(header: ["intervention"] + splits, rows: [
        ["DAS, 16 x 16 rotation"] + splits.map { format(mixedResult.iia[$0]) },
        ["neurons 0..7 / 8..15"] + splits.map { format(mixedResult.controls.identityBasis[$0]) },
        ["untrained random rotation"] + splits.map { format(mixedResult.controls.randomRotation[$0]) },
        ["DAS on a random network"] + splits.map { format(mixedResult.controls.randomNetwork[$0]) },
    ]).rendered)
    print("Labels the interventions change: \(splits.map { "\($0) \(format(mixedResult.changedFractions[$0]))" }.joined(separator: ", ")); max|RRᵀ − I| = \(String(format: "%.1e", mixedResult.orthonormalityError ?? .nan)).")
}

// MARK: Part 2

// The trained networks' task: the recipe's objects (part 1's hand-built network keeps the 100-object task).
let trainedTask = try recipe.task()
let perSet = flags.integer("--das-train-size", default: 6400, in: 1...10_000_000), validationCount = 1000, testCount = 2000
let epochs = flags.integer("--das-epochs", default: 5, in: 1...10_000), batchSize = flags.integer("--das-batch-size", default: 64, in: 1...1_000_000)
let steps = epochs * (3 * perSet / batchSize)
let learningRates: [Float] = flags.positiveNumbers("--learning-rates", default: [0.001, 0.01])
print("""

Part 2: trained networks, recipe "\(recipe.name)". For each of \(networkSeeds.count) seeds, a ReLU MLP 16-\(recipe.hiddenDimensions.map(String.init).joined(separator: "-"))-2 is trained on
\(recipe.trainingExamples) examples over \(recipe.objectCount.map { "\($0) random objects" } ?? "continuous random objects (a fresh vector each)") (\(recipe.epochs) epochs, batch \(recipe.batchSize), Adam, lr \(recipe.learningRate)). DAS aligns WX with rotated coordinates 0..7 and
YZ with 8..15, trained on \(perSet) counterfactuals for each of WX, YZ and both (\(3 * perSet) in all); \(validationCount) validation
examples per set (their own seed) are what every choice is made on, and \(testCount) test examples per set are scored once.

Every layer: DAS (rotation seed 0, lr 0.01, up to \(steps) steps, batch \(batchSize)) beside its three controls.
Early stopping: \(earlyStopping.map { "validation IIA checked every \($0.every) steps, stop after \($0.patience) checks without a better one, best rotation restored (ours only; pyvene runs every step)" } ?? "off").
At layer.0, the same recipe on both sides: Interchange and pyvene 0.1.8 with the same network, data files, batch, \(steps)
steps and linear decay of the learning rate to 0; each side's learning rate chosen from \(learningRates.map { "\($0)" }.joined(separator: " and "))
on validation (rotation seed 0; no choice when one is given); then \(rotationSeedCount) rotation seeds each. Then equal wall-clock time: for \(equalTimeSeedCount) rotation seeds, ours
gets the seconds pyvene's training took and spends them on restarts of the same recipe, keeping the best by validation IIA.

""")
let python = URL(fileURLWithPath: ".venv-reference/bin/python")
let pyveneAvailable = runsPyvene && FileManager.default.isExecutableFile(atPath: python.path)
if runsPyvene && !pyveneAvailable { print("(pyvene not run: \(python.path) is missing; run `bash bench/reference/setup.sh`.)\n") }

struct ScriptFailure: Error, CustomStringConvertible { let description: String }
struct Scores { var validation: Double; var test: [String: Double]; var trainSeconds: Double }

/// pyvene's run: validation IIA on all of the validation files together, test IIA per split.
func pyveneScores(network: URL, train: URL, validation: [URL], tests: [URL], seed: UInt64, learningRate: Float) throws -> Scores {
    let process = Process()
    process.executableURL = python
    process.arguments = ["scripts/pyvene_das_iia.py", "--model", network.path, "--train", train.path] + (validation + tests).flatMap { ["--test", $0.path] }
        + ["--steps", "\(steps)", "--batch-size", "\(batchSize)", "--lr", "\(learningRate)", "--schedule", "linear", "--seed", "\(seed)", "--threads", "\(threads)"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0, let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
          let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let iia = json["iia"] as? [String: Double],
          let seconds = json["train_seconds"] as? Double else {
        throw ScriptFailure(description: "pyvene_das_iia.py failed (status \(process.terminationStatus)): \(output.suffix(400))")
    }
    // Every validation split has as many examples, so their mean is the IIA on all of them together.
    let validationIIA = validation.map { iia[$0.lastPathComponent] ?? 0 }.reduce(0, +) / Double(max(validation.count, 1))
    var test: [String: Double] = [:]
    for (url, split) in zip(tests, splits) { test[split] = iia[url.lastPathComponent] }
    return Scores(validation: validationIIA, test: test, trainSeconds: seconds)
}

/// Our run of the same recipe from `seed`, with `stopping` on validation when it is given.
func oursScores(network: MultilayerPerceptron, data: ExperimentData, seed: UInt64, learningRate: Float,
                stopping: EarlyStopping? = earlyStopping) throws -> Scores {
    let configuration = HierarchicalEquality.configuration(site: "layer.0", epochs: epochs, batchSize: batchSize, learningRate: learningRate, seed: seed,
                                                           earlyStopping: stopping)
    let search = try DistributedAlignmentSearch(network: network, configuration: configuration)
    let clock = ContinuousClock(), start = clock.now
    // Early stopping watches all the validation splits together, the data every choice is made on.
    try search.train(on: data.training, validation: stopping == nil ? nil : AlignmentDataset.concatenating(data.validation))
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return Scores(validation: try search.interchangeInterventionAccuracy(on: AlignmentDataset.concatenating(data.validation)),
                  test: Dictionary(uniqueKeysWithValues: try data.tests.map { ($0.name, try search.interchangeInterventionAccuracy(on: $0)) }),
                  trainSeconds: seconds)
}

struct LayerRow { var seed: UInt64; var layer: Int; var result: AlignmentResult }
struct Comparison {
    var seed: UInt64
    var oursRate: Float, pyveneRate: Float?
    var ours: [Scores], pyvene: [Scores]
    /// Per rotation seed: our restarts within pyvene's seconds, and the chosen one's scores.
    var equalTime: [(restarts: Int, scores: Scores)]
}
var layerRows: [LayerRow] = []
var comparisons: [Comparison] = []
var accuracies: [UInt64: Double] = [:]
for seed in networkSeeds {
    let (network, accuracy) = try HierarchicalEquality.trainedNetwork(task: trainedTask, recipe: recipe, seed: seed)
    accuracies[seed] = accuracy
    let data = try recipe.data(trainingCount: perSet, validationCount: validationCount, testCount: testCount, seed: 100 + seed)
    let directory = outputDirectory.appendingPathComponent("seed-\(seed)")
    try network.save(to: directory.appendingPathComponent("network"))
    print("seed \(seed): test accuracy \(format(accuracy)); \(data.overlap.summary)")
    fflush(nil)  // a long run shows its progress in a log
    for layer in network.sites.map(\.layer) {
        let configuration = HierarchicalEquality.configuration(site: "layer.\(layer)", epochs: epochs, batchSize: batchSize, learningRate: 0.01, seed: 0,
                                                               earlyStopping: earlyStopping)
        let (result, _) = try DistributedAlignmentSearch.alignWithControls(network: network, configuration: configuration, training: data.training,
                                                                           validation: data.validation, tests: data.tests, randomNetworkSeed: 1000 + seed)
        layerRows.append(LayerRow(seed: seed, layer: layer, result: result))
    }
    // Layer 0: the same recipe on both sides.
    let site = "layer.0"
    func write(_ dataset: AlignmentDataset, _ name: String) throws -> URL {
        let url = directory.appendingPathComponent("\(name)-\(site)-\(dataset.name).safetensors")
        try dataset.write(to: url, site: site, subspaceSizes: HierarchicalEquality.subspaceSizes)
        return url
    }
    let trainURL = try write(data.training, "train")
    let validationURLs = try data.validation.map { try write($0, "validation") }
    let testURLs = try data.tests.map { try write($0, "test") }
    let networkURL = directory.appendingPathComponent("network")
    // Beside pyvene, which trains every step, the same recipe means no early stopping on our side either.
    let sameRecipeStopping = pyveneAvailable ? nil : earlyStopping
    let oursByRate = try learningRates.map { try oursScores(network: network, data: data, seed: 0, learningRate: $0, stopping: sameRecipeStopping) }
    let oursChoice = oursByRate.indices.max { oursByRate[$0].validation < oursByRate[$1].validation }!
    var ours = [oursByRate[oursChoice]]
    for rotation in 1..<UInt64(rotationSeedCount) {
        ours.append(try oursScores(network: network, data: data, seed: rotation, learningRate: learningRates[oursChoice], stopping: sameRecipeStopping))
    }
    var pyvene: [Scores] = [], pyveneRate: Float?
    var equalTime: [(restarts: Int, scores: Scores)] = []
    if pyveneAvailable {
        let byRate = try learningRates.map {
            try pyveneScores(network: networkURL, train: trainURL, validation: validationURLs, tests: testURLs, seed: 0, learningRate: $0)
        }
        let choice = byRate.indices.max { byRate[$0].validation < byRate[$1].validation }!
        pyveneRate = learningRates[choice]
        pyvene = [byRate[choice]]
        for rotation in 1..<UInt64(rotationSeedCount) {
            pyvene.append(try pyveneScores(network: networkURL, train: trainURL, validation: validationURLs, tests: testURLs,
                                           seed: rotation, learningRate: learningRates[choice]))
        }
        // Equal seconds: restarts from seeds 100·(r+1), 100·(r+1)+1, … until pyvene's training time is spent.
        for (rotation, reference) in pyvene.prefix(equalTimeSeedCount).enumerated() {
            var spent = 0.0, runs: [Scores] = []
            repeat {
                let run = try oursScores(network: network, data: data, seed: 100 * UInt64(rotation + 1) + UInt64(runs.count),
                                         learningRate: learningRates[oursChoice])
                spent += run.trainSeconds
                runs.append(run)
            } while spent + spent / Double(runs.count) <= reference.trainSeconds
            equalTime.append((runs.count, runs.max { $0.validation < $1.validation }!))
        }
    }
    comparisons.append(Comparison(seed: seed, oursRate: learningRates[oursChoice], pyveneRate: pyveneRate, ours: ours, pyvene: pyvene, equalTime: equalTime))
    let last = comparisons.last!
    func both(_ runs: [Scores]) -> String { runs.map { format($0.test["WX+YZ"]) }.joined(separator: " ") }
    print("  layer.0 WX+YZ test IIA by rotation seed: ours (lr \(last.oursRate)) \(both(ours)); pyvene (lr \(pyveneRate.map { "\($0)" } ?? "-")) \(both(pyvene)); ours in pyvene's time \(both(equalTime.map(\.scores))) (\(equalTime.map { "\($0.restarts)" }.joined(separator: ",")) restarts)")
    fflush(nil)
}

print("\nEvery layer (rotation seed 0, lr 0.01): validation IIA on all splits together, then test IIA on WX / YZ / WX+YZ:\n")
func triple(_ iia: [String: Double]?) -> String { splits.map { format(iia?[$0]) }.joined(separator: " / ") }
print(TextTable(header: ["seed", "site", "validation", "DAS", "neurons", "random rotation", "random network"], rows: layerRows.map { row in
    let validation = row.result.validationIIA.values.reduce(0, +) / Double(max(row.result.validationIIA.count, 1))
    return ["\(row.seed)", "layer.\(row.layer)", format(validation), triple(row.result.iia), triple(row.result.controls.identityBasis),
            triple(row.result.controls.randomRotation), triple(row.result.controls.randomNetwork)]
}).rendered)

func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
func spread(_ values: [Double]) -> Double {
    guard values.count > 1 else { return .nan }
    let m = mean(values)
    return (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
}
func headline(_ runs: [Scores]) -> [Double] { runs.map { $0.test["WX+YZ"] ?? 0 } }
print("\nLayer.0, the same recipe on both sides (test IIA on WX+YZ over \(rotationSeedCount) rotation seeds: mean ± standard deviation; paired difference = ours − pyvene, seed by seed):\n")
var pairedMeans: [Double] = []
print(TextTable(header: ["network", "lr ours / pyvene", "ours", "pyvene", "paired difference: mean [min, max]", "ours in pyvene's time (restarts)", "neurons", "random rotation", "random network"],
                rows: comparisons.map { comparison in
    let ours = headline(comparison.ours), pyvene = headline(comparison.pyvene)
    let differences = zip(ours, pyvene).map { $0 - $1 }
    if !differences.isEmpty { pairedMeans.append(mean(differences)) }
    let controls = layerRows.first { $0.seed == comparison.seed && $0.layer == 0 }?.result.controls
    let equal = headline(comparison.equalTime.map(\.scores))
    return ["\(comparison.seed)", "\(comparison.oursRate) / \(comparison.pyveneRate.map { "\($0)" } ?? "-")",
            String(format: "%.3f ± %.3f", mean(ours), spread(ours)), pyvene.isEmpty ? "not run" : String(format: "%.3f ± %.3f", mean(pyvene), spread(pyvene)),
            differences.isEmpty ? "-" : String(format: "%+.3f [%+.3f, %+.3f]", mean(differences), differences.min()!, differences.max()!),
            equal.isEmpty ? "-" : String(format: "%.3f ± %.3f (%@)", mean(equal), spread(equal), comparison.equalTime.map { "\($0.restarts)" }.joined(separator: ",")),
            format(controls?.identityBasis["WX+YZ"]), format(controls?.randomRotation["WX+YZ"]), format(controls?.randomNetwork["WX+YZ"])]
}).rendered)
let oursMedians = comparisons.map { IIAInterval.median(headline($0.ours)) }
let equalMedians = comparisons.filter { !$0.equalTime.isEmpty }.map { IIAInterval.median(headline($0.equalTime.map(\.scores))) }
print("""

  paired difference averaged per network: \(pairedMeans.map { String(format: "%+.3f", $0) }.joined(separator: ", ")) (one standard error of a single IIA near 0.9 on \(testCount) examples: ±\(String(format: "%.3f", (0.09 / Double(testCount)).squareRoot())))
  median over networks of each network's median test IIA (WX+YZ): same recipe \(format(IIAInterval.median(oursMedians))), in pyvene's time \(equalMedians.isEmpty ? "not run" : format(IIAInterval.median(equalMedians)))
  network test accuracies: \(networkSeeds.map { format(accuracies[$0]) }.joined(separator: ", "))
""")

// MARK: Picture

let seeds = networkSeeds.map { "seed \($0)" }
let layers = Array(Set(layerRows.map(\.layer))).sorted()
let finishedRows = layerRows
func heatmap(_ title: String, _ score: (LayerRow) -> Double?) -> Heatmap {
    Heatmap(title: title, rowLabel: "network", columnLabel: "site", rows: seeds, columns: layers.map { "layer.\($0)" },
            values: networkSeeds.map { seed in layers.map { layer in finishedRows.first { $0.seed == seed && $0.layer == layer }.flatMap(score) } })
}
let panels = [heatmap("DAS", { $0.result.iia["WX+YZ"] }), heatmap("neurons (identity basis)", { $0.result.controls.identityBasis["WX+YZ"] }),
              heatmap("random rotation", { $0.result.controls.randomRotation["WX+YZ"] }), heatmap("DAS on a random network", { $0.result.controls.randomNetwork["WX+YZ"] })]
let cell = 52.0
let panelWidth = 90 + cell * Double(layers.count) + 14
var document = SVGDocument(width: 20 + Double(panels.count) * panelWidth + 60, height: 60 + 88 + cell * Double(networkSeeds.count) + 10)
document.text("Hierarchical equality: test IIA of interventions on WX and YZ together, trained 16-16-16 MLPs", x: document.width / 2, y: 24, size: 15, anchor: "middle", weight: "bold")
document.text("WX on rotated coordinates 0..7, YZ on 8..15; \(testCount) test examples; rotation seed 0", x: document.width / 2, y: 44, size: 12, anchor: "middle", color: "#555")
var x = 10.0
for panel in panels { x += panel.draw(into: &document, x: x, y: 56, cell: cell).width + 14 }
Heatmap.drawColorBar(into: &document, x: x, y: 104, height: cell * Double(networkSeeds.count))
let url = outputDirectory.appendingPathComponent("hierarchical-equality-iia.svg")
try document.write(to: url)
print("Wrote \(url.path)")
