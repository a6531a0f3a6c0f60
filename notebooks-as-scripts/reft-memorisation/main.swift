// Memorisation: how long a random token sequence can one rank-1 LoReFT intervention, at one
// position of a fixed prompt, make a frozen model write out? And, as a control on the same model,
// how much more do bigger interventions (higher rank, every prompt position, every layer) store?
//
//   swift run -c release reft-memorisation [--out DIR] [--lengths LIST] [--layers LIST] [--max-steps N] [--lr X] [--no-controls]
//
// Prints the story and two tables, writes DIR/reft-memorisation.svg (default DIR: reft-memorisation-output).

import Experiments
import Foundation
import ReFT
import Reports
import Tensors

LinearAlgebraBackend.prepareProcess()
let flags = NotebookFlags.ofThisProcess(
    program: "reft-memorisation", summary: "A rank-1 LoReFT at one position stores a random token sequence: recovery against length.",
    accepted: [.option("--out", "DIR", "Where the plot goes (default reft-memorisation-output)."),
               .option("--lengths", "LIST", "Sequence lengths (default 8,16,32,64,128,256,512)."),
               .option("--layers", "LIST", "Layers, one curve each (default 0,1,2,3)."),
               .option("--max-steps", "N", "Step budget per run (default 600)."),
               .option("--lr", "X", "The learning rate (default 0.05)."),
               .option("--check-every", "N", "Steps between greedy checks; training stops at the first exact one (default 50)."),
               .option("--control-rank", "N", "The rank of the bigger interventions of the control (default 8)."),
               .toggle("--no-controls", "Skip the control runs (bigger interventions on the same model).")]
        + ReFTTutorialSetup.commonFlags)
let outputDirectory = URL(fileURLWithPath: flags.value(of: "--out") ?? "reft-memorisation-output")
let seed = UInt64(flags.integer("--seed", default: 0, in: 0...Int.max))
let lengths = flags.integers("--lengths", default: [8, 16, 32, 64, 128, 256, 512], in: 1...100_000)
let maxSteps = flags.integer("--max-steps", default: 600, in: 1...1_000_000)
let checkEvery = flags.integer("--check-every", default: 50, in: 1...1_000_000)
let learningRate = flags.positiveNumbers("--lr", default: [5e-2])[0]

let base = try ReFTTutorialSetup.base(flags: flags)
let width = base.model.configuration.hiddenSize
let controlRank = flags.integer("--control-rank", default: 8, in: 1...width)
let layers = flags.integers("--layers", default: Array(0..<base.model.configuration.layerCount), in: 0...(base.model.configuration.layerCount - 1))
let promptLength = ReFTMemorisation.promptIDs(base: base).count
let everyLayer = Array(0..<base.model.configuration.layerCount)
print("""

== Memorisation with a rank-1 intervention (seed \(seed)) ==

The prompt is fixed ("\(ReFTMemorisation.prompt)", \(promptLength) tokens). A LoReFT of rank 1 (2d + 1 = \(2 * width + 1) parameters) acts
on its last token at one layer; it is trained on that one example, whose completion is a random sequence of
the corpus's words (uniform, seeded), for at most \(maxSteps) steps at learning rate \(learningRate), greedy decoding checked
every \(checkEvery) steps (training stops at the first exact match). Scored: the fraction of positions where greedy
decoding writes the stored token. There is no held-out data in memorisation, so nothing is chosen on it:
the learning rate and the budget are fixed above. The base model was pretrained on windows of
\(base.metadata.recipe.sequenceLength) tokens, so positions beyond that have untrained position embeddings: the adapter must
carry the sequence past them too.

""")
struct Configuration { let label: String, layers: [Int], rank: Int, positions: String }
let curves = layers.map { Configuration(label: "layer \($0)", layers: [$0], rank: 1, positions: "l1") }
// The control: the same model, data, budget and learning rate, with more room to write in. If these
// store more, the rank-1 curves are bounded by the intervention's size on this model, not by the
// training or generation code (whose effect on later positions the tests check directly).
let controls = flags.contains("--no-controls") ? [] : [
    Configuration(label: "rank \(controlRank), layer 0", layers: [0], rank: controlRank, positions: "l1"),
    Configuration(label: "rank 1, every layer", layers: everyLayer, rank: 1, positions: "l1"),
    Configuration(label: "rank 1, all \(promptLength) prompt tokens, layer 0", layers: [0], rank: 1, positions: "f\(promptLength)"),
    Configuration(label: "rank \(controlRank), all prompt tokens, every layer", layers: everyLayer, rank: controlRank, positions: "f\(promptLength)"),
]
var runs: [(Configuration, MemorisationRun)] = []
let bar = ProgressBar(label: "memorisation runs", total: (curves.count + controls.count) * lengths.count)
for configuration in curves + controls {
    for length in lengths {
        let sequence = try ReFTMemorisation.randomSequence(length: length, base: base, seed: seed &+ UInt64(length))
        runs.append((configuration, try ReFTMemorisation.run(base: base, layers: configuration.layers, rank: configuration.rank,
                                                             positions: configuration.positions, sequence: sequence, maxSteps: maxSteps,
                                                             checkEvery: checkEvery, learningRate: learningRate, seed: seed)))
        bar.update(completed: runs.count, note: "\(configuration.label), length \(length)")
    }
}
func table(_ of: [Configuration]) -> String {
    TextTable(header: ["intervention", "parameters", "length", "tokens recovered", "whole sequence", "steps", "last step's loss", "loss after", "seconds"],
              rows: runs.filter { run in of.contains { $0.label == run.0.label } }.map { configuration, run in
        [configuration.label, "\(run.parameterCount)", "\(run.length)", String(format: "%.3f", run.recovered), run.isExact ? "yes" : "no", "\(run.steps)",
         String(format: "%.3f", run.loss), String(format: "%.3f", run.finalLoss), String(format: "%.1f", run.seconds)]
    }).rendered
}
func longest(_ label: String) -> String {
    runs.filter { $0.0.label == label && $0.1.isExact }.map(\.1.length).max().map { "\($0) tokens" } ?? "none of those tried"
}
func meanRecovered(_ label: String) -> String {
    let values = runs.filter { $0.0.label == label }.map(\.1.recovered)
    return String(format: "%.3f", values.reduce(0, +) / Double(max(values.count, 1)))
}
print(table(curves))
print("")
for configuration in curves { print("\(configuration.label.capitalized): longest sequence stored exactly: \(longest(configuration.label)).") }
if !controls.isEmpty {
    print("""

    == Control: is this the model's limit, or the code's? ==

    The same runs (same sequences, budget and learning rate) with bigger interventions on the same model:

    """)
    print(table(controls))
    print("")
    for configuration in controls {
        print("\(configuration.label): longest sequence stored exactly: \(longest(configuration.label)); mean fraction recovered \(meanRecovered(configuration.label)).")
    }
}
print("""

Reading the tables: an intervention at the last block's output can only ever store the first token, by
construction: later positions read that block's keys and values, which are computed from its input, not
from the edited output. Lower layers reach later positions through attention, and the tests check that
they do, in training's forward pass and in generation's prefill alike (ReFTTutorialTests). What one rank-1
edit of one 64-wide residual vector can make the later positions read back is the limit here; the control
rows show how much more the same trainer and decoder store when the intervention has more room.

""")

let chart = LineChart(
    title: "How much of a random sequence one rank-1 LoReFT at one position stores",
    subtitle: "\(2 * width + 1) parameters per run; at most \(maxSteps) steps; greedy decoding; seed \(seed)\(controls.isEmpty ? "" : "; the last curves: bigger interventions (control)")",
    xLabel: "sequence length, log2 (3 = 8 tokens, 9 = 512 tokens)", yLabel: "fraction of tokens recovered",
    series: (curves + controls).map { configuration in
        LineChart.Series(name: configuration.label + (configuration.rank == 1 && configuration.layers.count == 1 && configuration.positions == "l1" ? "" : " (\(runs.first { $0.0.label == configuration.label }?.1.parameterCount ?? 0) params)"),
                         points: runs.filter { $0.0.label == configuration.label }.map { (Foundation.log2(Double($0.1.length)), $0.1.recovered) })
    } + [LineChart.Series(name: "one token: 1/L", points: lengths.map { (Foundation.log2(Double($0)), 1 / Double($0)) })],
    yRange: 0...1)
try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
let svg = outputDirectory.appendingPathComponent("reft-memorisation.svg")
try chart.svg().write(to: svg)
print("\nWrote \(svg.path)")
