// ReFT against LoRA: the same style task, the same 10 examples, the same trainer; held-out
// accuracy against trainable parameters for LoReFT and LoRA at several ranks.
//
//   swift run -c release reft-vs-lora [--out DIR] [--reft-ranks LIST] [--lora-ranks LIST]
//
// Prints the story and a table, writes DIR/reft-vs-lora.svg (default DIR: reft-vs-lora-output).

import Experiments
import Foundation
import ReFT
import Reports
import Tensors

LinearAlgebraBackend.prepareProcess()
let flags = NotebookFlags.ofThisProcess(
    program: "reft-vs-lora", summary: "LoReFT against LoRA on one task: held-out accuracy against trainable parameters.",
    accepted: [.option("--out", "DIR", "Where the plot goes (default reft-vs-lora-output)."),
               .option("--reft-ranks", "LIST", "LoReFT ranks (default 1,2,4,8,16)."),
               .option("--lora-ranks", "LIST", "LoRA ranks (default 1,2,4,8,16).")]
        + ReFTTutorialSetup.commonFlags)
let outputDirectory = URL(fileURLWithPath: flags.value(of: "--out") ?? "reft-vs-lora-output")
let seed = UInt64(flags.integer("--seed", default: 0, in: 0...Int.max))
let base = try ReFTTutorialSetup.base(flags: flags)
let width = base.model.configuration.hiddenSize
let reftRanks = flags.integers("--reft-ranks", default: [1, 2, 4, 8, 16], in: 1...width)
let loraRanks = flags.integers("--lora-ranks", default: [1, 2, 4, 8, 16], in: 1...width)
var setup = ReFTAgainstLoRA.Setup()
setup.seed = seed
let splits = try StyleTaskSplits(world: base.world, trainingCount: 10, validationCount: 20, testCount: 120, seed: seed)

let styles = AnswerStyle.allCases
print("""

== ReFT against LoRA (seed \(seed)) ==

Two tasks of reft-new-style's kind, each learned from the same 10 examples: \(styles.map { "\"\($0.rawValue)\": \($0.summary)" }.joined(separator: "; ")).
Both methods train with the same trainer (AdamW, 10% warm-up then linear decay, \(setup.epochs) epochs of one batch
of 10), and each run's learning rate is the best of \(setup.learningRates.map { "\($0)" }.joined(separator: ", ")) on the 20 validation questions.
  LoReFT: rank k at layers \(setup.reftLayers.map(String.init).joined(separator: ",")), positions \(setup.reftPositions) (the first and the last prompt token, separate weights): \(2 * setup.reftLayers.count) x (2dk + k) parameters.
  LoRA: rank r on the \(setup.loraTargets.map(\.rawValue).joined(separator: " and ")) projections of layers \(setup.loraLayers.map(String.init).joined(separator: ",")), α = 2r: \(setup.loraLayers.count * setup.loraTargets.count) x r(d_in + d_out) parameters.
Accuracy: the fraction of the 120 held-out answers equal to the styled answer exactly (style and fact).

""")
let bar = ProgressBar(label: "adapters", total: styles.count * (reftRanks.count + loraRanks.count))
var finished = 0
var results: [(style: AnswerStyle, points: [AdapterComparisonPoint])] = []
for style in styles {
    setup.style = style
    results.append((style, try ReFTAgainstLoRA.run(base: base, splits: splits, setup: setup, reftRanks: reftRanks, loraRanks: loraRanks) { point in
        finished += 1
        bar.update(completed: finished, note: "\(style.rawValue): \(point.method) rank \(point.rank)")
    }))
}
func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
print(TextTable(header: ["task", "method", "rank", "trainable parameters", "% of model", "lr", "validation exact", "test exact", "test style", "test fact"],
                rows: results.flatMap { style, points in points.map {
    [style.rawValue, $0.method, "\($0.rank)", "\($0.trainableParameters)", String(format: "%.3f", Double($0.trainableParameters) / Double(base.model.parameterCount) * 100),
     "\($0.learningRate)", percent($0.validation), percent($0.test.exactRate), percent($0.test.styleRate), percent($0.test.factRate)]
} }).rendered)
print("Base model without an adapter: exact 0% and style 0% on both tasks (its answers are plain), the right fact 100%.")
for (style, points) in results {
    if let reft = points.filter({ $0.method == "LoReFT" }).max(by: { $0.test.exactRate < $1.test.exactRate }),
       let lora = points.filter({ $0.method == "LoRA" }).max(by: { $0.test.exactRate < $1.test.exactRate }) {
        print("\(style.rawValue): best LoReFT rank \(reft.rank) (\(reft.trainableParameters) parameters) \(percent(reft.test.exactRate)); best LoRA rank \(lora.rank) (\(lora.trainableParameters) parameters) \(percent(lora.test.exactRate)).")
    }
}

// LineChart has a linear x axis: x is log10 of the parameter count.
let chart = LineChart(
    title: "ReFT against LoRA: accuracy against trainable parameters",
    subtitle: "two styles, each from 10 examples; exact held-out answers (120 questions); seed \(seed)",
    xLabel: "trainable parameters, log10 (3 = 1,000, 4 = 10,000)", yLabel: "held-out exact answers",
    series: results.flatMap { style, points in
        ["LoReFT", "LoRA"].map { method in
            LineChart.Series(name: "\(method): \(style.rawValue)",
                             points: points.filter { $0.method == method }.map { (Foundation.log10(Double($0.trainableParameters)), $0.test.exactRate) })
        }
    },
    yRange: -0.02...1.02)
try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
let svg = outputDirectory.appendingPathComponent("reft-vs-lora.svg")
try chart.svg().write(to: svg)
print("\nWrote \(svg.path)")
