// Sum of three digits: does an MLP trained on X + Y + Z compute the partial sum S1 = X + Y?
//
//   swift run -c release sum-of-three [--out DIR] [--seed N]
//
// Prints the story and a table, writes DIR/sum-of-three-iia.svg (default DIR: sum-of-three-output).

import Alignment
import Experiments
import Foundation
import Reports
import Tensors

LinearAlgebraBackend.prepareProcess()
let flags = NotebookFlags.ofThisProcess(
    program: "sum-of-three", summary: "DAS on the sum of three digits: where a trained MLP holds S1 = X + Y.",
    accepted: [.option("--out", "DIR", "Where the plots go (default sum-of-three-output)."),
               .option("--seed", "N", "Seed of the network, data and rotations (default 0)."),
               .option("--hidden", "LIST", "Hidden layer widths (default 24,24)."),
               .option("--das-epochs", "N", "DAS training epochs per cell (default 5).")])
let outputDirectory = URL(fileURLWithPath: flags.value(of: "--out") ?? "sum-of-three-output")
let seed = UInt64(flags.integer("--seed", default: 0, in: 0...Int.max))
let sizes = [1, 2, 4, 8, 16]
let hidden = flags.integers("--hidden", default: [24, 24], in: 1...65_536)
let dasEpochs = flags.integer("--das-epochs", default: 5, in: 1...1_000_000)

print("""
== Sum of three digits (seed \(seed)) ==

The causal model: S1 = X + Y, then O = S1 + Z, over digits 0...9. An MLP with two hidden layers
of 24 ReLU units learns O from one-hot digits (30 inputs, 28 classes). If it computes S1 on the way,
some subspace of a hidden layer should hold S1: swapping that subspace in from a run on another
input should change the output exactly as changing S1 in the causal model does.

""")
let (network, accuracy) = try SumOfThree.trainedNetwork(hiddenDimensions: hidden, seed: seed)
print("Trained on all 1000 inputs: accuracy \(String(format: "%.3f", accuracy)).")
let data = try SumOfThree.data(trainingCount: 20_000, validationCount: 2_000, testCount: 2_000, seed: seed)
print("Counterfactual data: 20000 training, 2000 validation (the best cell is chosen on these) and 2000 test examples intervening on S1; the intervention changes \(String(format: "%.0f", data.tests[0].changedFraction * 100))% of test labels.")
print(data.overlap.summary + "\n")
let results = try SumOfThree.search(network: network, sizes: sizes, data: data, epochs: dasEpochs, seed: seed)
func format(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "-" }
print(TextTable(header: ["site", "dims", "validation IIA", "DAS IIA [95%]", "neurons", "random rotation", "random network"], rows: results.map {
    [$0.configuration.site, "\($0.configuration.subspaceSizes[0])", format($0.validationIIA["S1"]),
     $0.iia["S1"].map { IIAInterval.binomial(successes: Int(($0 * 2000).rounded()), trials: 2000).formatted } ?? "-", format($0.controls.identityBasis["S1"]),
     format($0.controls.randomRotation["S1"]), format($0.controls.randomNetwork["S1"])]
}).rendered)
if let best = results.max(by: { ($0.validationIIA["S1"] ?? 0) < ($1.validationIIA["S1"] ?? 0) }) {
    print("\nBest on validation: \(best.configuration.site) with \(best.configuration.subspaceSizes[0]) dimensions, validation IIA \(format(best.validationIIA["S1"])), test IIA \(format(best.iia["S1"])) (neurons \(format(best.controls.identityBasis["S1"])), random rotation \(format(best.controls.randomRotation["S1"]))).")
}

let sites = network.sites.map(\.description)
func heatmap(_ title: String, _ score: (AlignmentResult) -> Double?) -> Heatmap {
    Heatmap(title: title, rowLabel: "site", columnLabel: "subspace size", rows: sites, columns: sizes.map(String.init),
            values: sites.map { site in sizes.map { size in results.first { $0.configuration.site == site && $0.configuration.subspaceSizes[0] == size }.flatMap(score) } })
}
let cell = 48.0
let panelWidth = 90 + cell * Double(sizes.count) + 10
var document = SVGDocument(width: 10 + 3 * panelWidth + 70, height: 40 + 88 + cell * Double(sites.count) + 10)
document.text("Sum of three: IIA of interventions on S1 = X + Y (seed \(seed))", x: document.width / 2, y: 24, size: 16, anchor: "middle", weight: "bold")
var x = 10.0
for map in [heatmap("DAS (learned rotation)", { $0.iia["S1"] }), heatmap("neurons (identity basis)", { $0.controls.identityBasis["S1"] }),
            heatmap("random rotation", { $0.controls.randomRotation["S1"] })] {
    x += map.draw(into: &document, x: x, y: 40, cell: cell).width + 10
}
Heatmap.drawColorBar(into: &document, x: x + 6, y: 84, height: cell * Double(sites.count))
try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
let url = outputDirectory.appendingPathComponent("sum-of-three-iia.svg")
try document.write(to: url)
print("\nWrote \(url.path)")
