// Hierarchical equality, O = ((W == X) == (Y == Z)), in two parts:
//   1. correctness: a hand-built network hides WX and YZ behind a random rotation; DAS must find them;
//   2. trained networks: five seeds, DAS at every hidden layer beside its controls, pyvene at an equal
//      number of steps (when .venv-reference exists: `make bench` or `bash bench/reference/setup.sh`),
//      then a longer schedule with restarts.
//
//   swift run -c release hierarchical-equality [--out DIR] [--seeds N] [--skip-pyvene] [--threads N]
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
let flags = NotebookFlags()
let outputDirectory = URL(fileURLWithPath: flags.value(of: "--out") ?? "hierarchical-equality-output")
let seedCount = Int(flags.value(of: "--seeds") ?? "5") ?? 5
let threads = Int(flags.value(of: "--threads") ?? "1") ?? 1
let runsPyvene = !flags.contains("--skip-pyvene")
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

print("""
== Hierarchical equality: O = ((W == X) == (Y == Z)) ==
\(task.summary).

Part 1: correctness. A hand-built network computes the task exactly with WX in hidden neurons 0..7
and YZ in 8..15 of its first layer; its second layer mixes those 16 neurons by a random orthogonal
matrix (and the third undoes it), so the function is unchanged but no neuron of layer.1 holds one
variable. DAS must find the rotation: WX on rotated coordinates 0..7, YZ on 8..15 (best of 3 restarts by training loss).

""")
let mixed = try HierarchicalEquality.mixedNetwork(task: task, mixingSeed: 1)
let factualCheck = try HierarchicalEquality.factualData(task: task, count: 10_000, seed: 11)
print("Accuracy of the hand-built network on 10000 inputs: \(format(try mixed.accuracy(inputs: factualCheck.inputs, labels: factualCheck.labels))).")
let mixedData = try HierarchicalEquality.data(task: task, trainingCount: 8000, testCount: 2000, seed: 12)
let (mixedResult, _) = try DistributedAlignmentSearch.alignWithControls(
    network: mixed, configuration: HierarchicalEquality.configuration(site: "layer.1", epochs: 30, batchSize: 64, learningRate: 0.01, seed: 0),
    training: mixedData.training, tests: mixedData.tests, randomNetworkSeed: 13, restarts: 3)
print("\nIIA at layer.1 (2000 test examples per split):\n")
print(TextTable(header: ["intervention"] + splits, rows: [
    ["DAS, 16 x 16 rotation"] + splits.map { format(mixedResult.iia[$0]) },
    ["neurons 0..7 / 8..15"] + splits.map { format(mixedResult.controls.identityBasis[$0]) },
    ["untrained random rotation"] + splits.map { format(mixedResult.controls.randomRotation[$0]) },
    ["DAS on a random network"] + splits.map { format(mixedResult.controls.randomNetwork[$0]) },
]).rendered)
print("Labels the interventions change: \(splits.map { "\($0) \(format(mixedResult.changedFractions[$0]))" }.joined(separator: ", ")); max|RRᵀ − I| = \(String(format: "%.1e", mixedResult.orthonormalityError ?? .nan)).")

// MARK: Part 2

let recipe = HierarchicalEquality.NetworkRecipe.standard
let perSet = 6400, testCount = 2000, equalEpochs = 5, batchSize = 64, learningRate: Float = 0.01
let pyveneLearningRates: [Float] = [0.001, 0.01]
let equalSteps = equalEpochs * (3 * perSet / batchSize)
let pushedEpochs = 20, restarts = 4
print("""

Part 2: trained networks. For each of \(seedCount) seeds, a ReLU MLP 16-\(recipe.hiddenDimensions.map(String.init).joined(separator: "-"))-2 is trained on
\(recipe.trainingExamples) examples (\(recipe.epochs) epochs, Adam, lr \(recipe.learningRate)). At each hidden layer, DAS aligns WX with rotated
coordinates 0..7 and YZ with 8..15, trained on \(perSet) counterfactuals for each of WX, YZ and both
(\(3 * perSet) in all), batch \(batchSize), \(equalSteps) steps: ours with Adam at lr \(learningRate) decaying linearly (its default),
pyvene 0.1.8 with the same network, data, batch and steps, and Adam at a constant lr of 0.001 (its tutorial's) and
of 0.01; the better of the two counts. IIA is on \(testCount) held-out examples per split.

""")
let python = URL(fileURLWithPath: ".venv-reference/bin/python")
let pyveneAvailable = runsPyvene && FileManager.default.isExecutableFile(atPath: python.path)
if runsPyvene && !pyveneAvailable { print("(pyvene not run: \(python.path) is missing; run `bash bench/reference/setup.sh`.)\n") }

func pyveneIIA(network: URL, train: URL, tests: [URL], seed: UInt64, learningRate: Float) throws -> [String: Double] {
    let process = Process()
    process.executableURL = python
    process.arguments = ["scripts/pyvene_das_iia.py", "--model", network.path, "--train", train.path] + tests.flatMap { ["--test", $0.path] }
        + ["--steps", "\(equalSteps)", "--batch-size", "\(batchSize)", "--lr", "\(learningRate)", "--seed", "\(seed)", "--threads", "\(threads)"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0, let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
          let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let iia = json["iia"] as? [String: Double] else {
        throw ValidationFailure("pyvene_das_iia.py failed (status \(process.terminationStatus)): \(output.suffix(400))")
    }
    return iia
}

struct ValidationFailure: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

struct LayerRow { var seed: UInt64; var layer: Int; var equal: AlignmentResult; var pyvene: [String: Double]?; var pushed: AlignmentResult }
var rows: [LayerRow] = []
var accuracies: [UInt64: Double] = [:]
for seed in 0..<UInt64(seedCount) {
    let (network, accuracy) = try HierarchicalEquality.trainedNetwork(task: task, recipe: recipe, seed: seed)
    accuracies[seed] = accuracy
    let data = try HierarchicalEquality.data(task: task, trainingCount: perSet, testCount: testCount, seed: 100 + seed)
    let directory = outputDirectory.appendingPathComponent("seed-\(seed)")
    try network.save(to: directory.appendingPathComponent("network"))
    print("seed \(seed): test accuracy \(format(accuracy))")
    for layer in network.sites.map(\.layer) {
        let site = "layer.\(layer)"
        let trainURL = directory.appendingPathComponent("train-\(site).safetensors")
        try data.training.write(to: trainURL, site: site, subspaceSizes: HierarchicalEquality.subspaceSizes)
        let testURLs = try data.tests.map { test -> URL in
            let url = directory.appendingPathComponent("test-\(site)-\(test.name).safetensors")
            try test.write(to: url, site: site, subspaceSizes: HierarchicalEquality.subspaceSizes)
            return url
        }
        let equalConfiguration = HierarchicalEquality.configuration(site: site, epochs: equalEpochs, batchSize: batchSize, learningRate: learningRate, seed: seed)
        let (equal, _) = try DistributedAlignmentSearch.alignWithControls(network: network, configuration: equalConfiguration,
                                                                          training: data.training, tests: data.tests, randomNetworkSeed: 1000 + seed)
        // pyvene's better learning rate on the headline split, with its scores on every split.
        let pyvene = pyveneAvailable ? try pyveneLearningRates.map { rate in
            try pyveneIIA(network: directory.appendingPathComponent("network"), train: trainURL, tests: testURLs, seed: seed, learningRate: rate)
                .reduce(into: [String: Double]()) { result, entry in
                    if let split = splits.first(where: { entry.key == "test-\(site)-\($0).safetensors" }) { result[split] = entry.value }
                }
        }.max { ($0["WX+YZ"] ?? 0) < ($1["WX+YZ"] ?? 0) } : nil
        let pushedConfiguration = HierarchicalEquality.configuration(site: site, epochs: pushedEpochs, batchSize: batchSize, learningRate: 0.01, seed: seed)
        let (pushed, _) = try DistributedAlignmentSearch.alignWithControls(network: network, configuration: pushedConfiguration, training: data.training,
                                                                           tests: data.tests, randomNetworkSeed: 1000 + seed, restarts: restarts)
        rows.append(LayerRow(seed: seed, layer: layer, equal: equal, pyvene: pyvene, pushed: pushed))
        print("  \(site): DAS \(format(equal.iia["WX+YZ"])), pyvene \(format(pyvene?["WX+YZ"])), longer schedule \(format(pushed.iia["WX+YZ"])) (WX+YZ)")
    }
}

print("\nEvery seed's figures (IIA on WX / YZ / WX+YZ):\n")
func triple(_ iia: [String: Double]?) -> String { splits.map { format(iia?[$0]) }.joined(separator: " / ") }
func tableRow(_ row: LayerRow) -> [String] {
    let controls = row.equal.controls
    return ["\(row.seed)", "layer.\(row.layer)", triple(row.equal.iia), triple(row.pyvene), triple(row.pushed.iia),
            triple(controls.identityBasis), triple(controls.randomRotation), triple(controls.randomNetwork)]
}
print(TextTable(header: ["seed", "site", "DAS, equal steps", "pyvene (better lr), equal steps", "DAS, longer + restarts", "neurons", "random rotation", "random network"],
                rows: rows.map(tableRow)).rendered)

let layerZero = rows.filter { $0.layer == 0 }
// Per seed, ours minus pyvene: on the headline split (both variables), and the worst over all splits.
let headlineGaps = layerZero.compactMap { row in row.pyvene.map { (row.equal.iia["WX+YZ"] ?? 0) - ($0["WX+YZ"] ?? 0) } }
let worstGap = layerZero.compactMap { row in row.pyvene.map { pyvene in splits.map { (row.equal.iia[$0] ?? 0) - (pyvene[$0] ?? 0) }.min() ?? 0 } }.min()
let standardError = (0.9 * 0.1 / Double(testCount)).squareRoot()
print("""

At layer.0, where the variables live:
  median IIA (WX+YZ), equal steps: DAS \(format(median(layerZero.map { $0.equal.iia["WX+YZ"] ?? 0 }))), pyvene \(pyveneAvailable ? format(median(layerZero.map { $0.pyvene?["WX+YZ"] ?? 0 })) : "not run")
  DAS minus pyvene on WX+YZ, seed by seed: \(pyveneAvailable ? headlineGaps.map { String(format: "%+.3f", $0) }.joined(separator: ", ") : "not run")\
\(pyveneAvailable ? headlineGaps.allSatisfy({ $0 >= 0 }) ? " (at least pyvene's on every seed)" : " (BELOW pyvene on some seed)" : "")
  worst DAS minus pyvene over every seed and split: \(worstGap.map { String(format: "%+.3f", $0) } ?? "not run") (one standard error of a split's IIA near 0.9: ±\(String(format: "%.3f", standardError)))
  median IIA with the longer schedule (\(pushedEpochs) epochs, lr 0.01 decaying, best of \(restarts) restarts by training loss): \(splits.map { split in "\(split) \(format(median(layerZero.map { $0.pushed.iia[split] ?? 0 })))" }.joined(separator: ", "))
  median of the controls (WX+YZ): neurons \(format(median(layerZero.map { $0.equal.controls.identityBasis["WX+YZ"] ?? 0 }))), random rotation \(format(median(layerZero.map { $0.equal.controls.randomRotation["WX+YZ"] ?? 0 }))), random network \(format(median(layerZero.map { $0.equal.controls.randomNetwork["WX+YZ"] ?? 0 })))
  network test accuracies: \((0..<UInt64(seedCount)).map { format(accuracies[$0]) }.joined(separator: ", "))
""")

// MARK: Picture

let seeds = (0..<UInt64(seedCount)).map { "seed \($0)" }
let layers = Array(Set(rows.map(\.layer))).sorted()
let finishedRows = rows
func heatmap(_ title: String, _ score: (LayerRow) -> Double?) -> Heatmap {
    Heatmap(title: title, rowLabel: "network", columnLabel: "site", rows: seeds, columns: layers.map { "layer.\($0)" },
            values: (0..<UInt64(seedCount)).map { seed in layers.map { layer in finishedRows.first { $0.seed == seed && $0.layer == layer }.flatMap(score) } })
}
let panels = [heatmap("DAS, equal steps", { $0.equal.iia["WX+YZ"] }), heatmap("pyvene, equal steps", { $0.pyvene?["WX+YZ"] }),
              heatmap("DAS, longer + restarts", { $0.pushed.iia["WX+YZ"] }), heatmap("neurons (identity basis)", { $0.equal.controls.identityBasis["WX+YZ"] })]
let cell = 52.0
let panelWidth = 90 + cell * Double(layers.count) + 14
var document = SVGDocument(width: 20 + Double(panels.count) * panelWidth + 60, height: 60 + 88 + cell * Double(seedCount) + 10)
document.text("Hierarchical equality: IIA of interventions on WX and YZ together, trained 16-16-16 MLPs", x: document.width / 2, y: 24, size: 15, anchor: "middle", weight: "bold")
document.text("WX on rotated coordinates 0..7, YZ on 8..15; \(testCount) held-out examples; best cell outlined", x: document.width / 2, y: 44, size: 12, anchor: "middle", color: "#555")
var x = 10.0
for panel in panels { x += panel.draw(into: &document, x: x, y: 56, cell: cell).width + 14 }
Heatmap.drawColorBar(into: &document, x: x, y: 104, height: cell * Double(seedCount))
let url = outputDirectory.appendingPathComponent("hierarchical-equality-iia.svg")
try document.write(to: url)
print("Wrote \(url.path)")
