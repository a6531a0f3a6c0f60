// A new style from a handful of examples: a LoReFT adapter (rank 4, one or two positions) trained on 10
// examples makes a small pretrained model answer held-out questions in a style its corpus never uses.
//
//   swift run -c release reft-new-style [--out DIR] [--cache DIR] [--seed N] [--write-corpus FILE]
//
// Prints the story and writes DIR/reft-new-style.svg, DIR/train.jsonl and DIR/adapter (default DIR: reft-new-style-output).

import Experiments
import Foundation
import ReFT
import Reports
import Tensors

LinearAlgebraBackend.prepareProcess()
let flags = NotebookFlags.ofThisProcess(
    program: "reft-new-style", summary: "LoReFT teaches a pretrained model a new style of answer from 10 examples.",
    accepted: [.option("--out", "DIR", "Where the plot, the training data and the adapter go (default reft-new-style-output)."),
               .option("--write-corpus", "FILE", "Only write the pretraining corpus (datasets/animal-facts-corpus.txt) to FILE and exit."),
               .option("--write-test-model", "DIR", "Only pretrain the small model the tests use (2 blocks of width 32) into DIR and exit.")]
        + ReFTTutorialSetup.commonFlags)
if let path = flags.value(of: "--write-corpus") {
    try Data(ReFTTutorialSetup.corpusText().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    print("Wrote \(path)")
    exit(0)
}
if let path = flags.value(of: "--write-test-model") {
    let corpus = ReFTTutorialSetup.corpusText()
    let cache = FileManager.default.temporaryDirectory.appendingPathComponent("reft-test-model-\(ProcessInfo.processInfo.processIdentifier)")
    let base = try ReFTTutorialBase.pretrained(recipe: .testModel, corpus: corpus, world: ReFTTutorialSetup.world, cacheRoot: cache)
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.copyItem(at: base.directory, to: URL(fileURLWithPath: path))
    try? FileManager.default.removeItem(at: cache)
    print("Wrote \(path): \(base.model.parameterCount) parameters, epoch losses \(base.metadata.epochLosses)")
    exit(0)
}
let outputDirectory = URL(fileURLWithPath: flags.value(of: "--out") ?? "reft-new-style-output")
let seed = UInt64(flags.integer("--seed", default: 0, in: 0...Int.max))
let style = AnswerStyle.opensWithWell

print("""
== A new style from a handful of examples (seed \(seed)) ==

A small GPT-2-style model is pretrained on a generated corpus about fifty animals: where each lives,
what it eats, its colour, asked and answered ("question : where does the fox live ? answer : the fox
lives in the forest .") and told in short stories. Then the model is frozen, and a LoReFT adapter of
rank 4 at one or two token positions (the last prompt token, or the first and the last: chosen on
validation questions) is trained on 10 questions answered in a style the corpus never uses for
answers: \(style.summary). Held-out questions show whether the style carries over.

""")
let base = try ReFTTutorialSetup.base(flags: flags)
let splits = try StyleTaskSplits(world: base.world, trainingCount: 10, validationCount: 20, testCount: 120, seed: seed)
print("\nSplits of the world's 150 questions: 10 to train on, 20 to choose settings on (validation), 120 held out (test).")
let plain = try ReFTTutorialTraining.score(splits.test, style: style, base: base)
print("Without an adapter, on the 120 test questions: style \(Int((plain.styleRate * 100).rounded()))%, the right fact \(Int((plain.factRate * 100).rounded()))% (what pretraining taught).")

// Settings chosen on validation: the learning rate and the position (the last prompt token, or the first and the last).
let training = try ReFTTutorialTraining.dataset(splits.training, style: style, base: base)
let epochs = 150
var candidates: [(positions: String, rate: Float, adapter: ReFTAdapter, validation: StyleScore)] = []
for positions in ["l1", "f1+l1"] {
    for rate: Float in [1e-2, 3e-2] {
        let adapter = try ReFTAdapter(spec: try ReFTTutorialTraining.loreft(rank: 4, layers: [0, 1, 2, 3], positions: positions),
                                      model: base.model.configuration, seed: seed)
        try ReFTTutorialTraining.train(adapter, on: training, base: base,
                                       options: ReFTTrainingOptions(epochs: epochs, batchSize: 10, learningRate: rate, seed: seed))
        let validation = try ReFTTutorialTraining.score(splits.validation, style: style, base: base, plan: ReFTTutorialTraining.planMaker([adapter]))
        candidates.append((positions, rate, adapter, validation))
    }
}
func percent(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }
print("\nChoosing on the 20 validation questions (LoReFT rank 4 at layers 0-3, \(epochs) epochs of the 10 examples):")
print(TextTable(header: ["positions", "learning rate", "style", "right fact", "exact answer"], rows: candidates.map {
    [$0.positions, "\($0.rate)", percent($0.validation.styleRate), percent($0.validation.factRate), percent($0.validation.exactRate)]
}).rendered)
// Prefer one position on a tie: fewer parameters.
let chosen = candidates.max { ($0.validation.styleRate, $0.validation.exactRate) < ($1.validation.styleRate, $1.validation.exactRate) }!
let adapter = chosen.adapter
let adapted = try ReFTTutorialTraining.score(splits.test, style: style, base: base, plan: ReFTTutorialTraining.planMaker([adapter]), sampleCount: 6)
let fraction = Double(adapter.parameterCount) / Double(base.model.parameterCount)
print("""

Chosen: positions \(chosen.positions), learning rate \(chosen.rate): \(adapter.spec).
Trainable parameters: \(adapter.parameterCount) (\(adapter.interventions.count) interventions of 2dk + k = \(2 * adapter.width * 4 + 4)), \
\(String(format: "%.3f", fraction * 100))% of the model's \(base.model.parameterCount).

On the 120 held-out test questions:
""")
print(TextTable(header: ["", "style", "right fact", "exact styled answer"], rows: [
    ["base model", percent(plain.styleRate), percent(plain.factRate), percent(plain.exactRate)],
    ["with the adapter", percent(adapted.styleRate), percent(adapted.factRate), percent(adapted.exactRate)],
]).rendered)
print("\nSome held-out answers:")
let baseSamples = try ReFTTutorialTraining.score(Array(splits.test.prefix(6)), style: style, base: base, sampleCount: 6).samples
print(TextTable(header: ["question", "base model", "with the adapter"], rows: zip(baseSamples, adapted.samples).map { [$0.prompt, $0.answer, $1.answer] }).rendered)
print("""

The style is a new first move the adapter makes at the prompt's last token; what follows is the frozen
model's own continuation, which still has to find the fact after it: "right fact" counts answers that
state the question's fact, "exact" those equal to the styled answer.
""")

// The learning curve of the chosen settings, retrained and scored on the test questions every 10 epochs.
let curveAdapter = try ReFTAdapter(spec: adapter.spec, model: base.model.configuration, seed: seed)
let trainer = try ReFTTrainer(model: base.model, adapter: curveAdapter, data: training,
                              options: ReFTTrainingOptions(epochs: epochs, batchSize: 10, learningRate: chosen.rate, seed: seed))
var curve: [(epoch: Int, score: StyleScore)] = []
while trainer.completedEpochs < epochs {
    try trainer.train(maxEpochs: 10)
    curve.append((trainer.completedEpochs, try ReFTTutorialTraining.score(splits.test, style: style, base: base,
                                                                          plan: ReFTTutorialTraining.planMaker([curveAdapter]))))
}
let chart = LineChart(
    title: "LoReFT learns a new style from 10 examples",
    subtitle: "\(style.summary); 120 held-out questions; \(adapter.parameterCount) trainable parameters (\(String(format: "%.2f", fraction * 100))% of the model); seed \(seed)",
    xLabel: "training epochs (one step of the 10 examples each)", yLabel: "fraction of held-out answers",
    // The base's lines first, so the adapter's are drawn over them.
    series: [LineChart.Series(name: "fact (base)", points: curve.map { (Double($0.epoch), plain.factRate) }),
             LineChart.Series(name: "style (base)", points: curve.map { (Double($0.epoch), plain.styleRate) }),
             LineChart.Series(name: "style (adapter)", points: curve.map { (Double($0.epoch), $0.score.styleRate) }),
             LineChart.Series(name: "fact (adapter)", points: curve.map { (Double($0.epoch), $0.score.factRate) }),
             LineChart.Series(name: "exact (adapter)", points: curve.map { (Double($0.epoch), $0.score.exactRate) })],
    yRange: -0.02...1.02)
try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
let svg = outputDirectory.appendingPathComponent("reft-new-style.svg")
try chart.svg(width: 820).write(to: svg)
try ReFTTutorialTraining.jsonLines(splits.training, style: style).write(to: outputDirectory.appendingPathComponent("train.jsonl"), options: .atomic)
let adapterDirectory = outputDirectory.appendingPathComponent("adapter")
try adapter.save(to: adapterDirectory)
print("""

Wrote \(svg.path), the 10 training examples (\(outputDirectory.appendingPathComponent("train.jsonl").path)) and the adapter
(\(adapterDirectory.path)). The same with the command-line tool:
  reft train --model \(base.directory.path) --data \(outputDirectory.path)/train.jsonl --type loreft --rank 4 \\
      --layers 0,1,2,3 --positions \(chosen.positions) --epochs \(epochs) --batch-size 10 --lr \(chosen.rate) --out my-adapter
  reft generate --model \(base.directory.path) --adapter \(adapterDirectory.path) --prompt "\(splits.test[0].prompt)"
""")
