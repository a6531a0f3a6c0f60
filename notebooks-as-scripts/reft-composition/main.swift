// Composition: two LoReFT adapters trained apart, each a skill on its own kind of question and on
// its own layers, applied together; each skill measured alone and together; then the second trained on
// top of the first.
//
//   swift run -c release reft-composition [--out DIR] [--per-kind N] [--a-layers LIST] [--b-layers LIST] [--lr X]
//
// Prints the story and a table, writes DIR/reft-composition.svg (default DIR: reft-composition-output).

import Experiments
import Foundation
import ReFT
import Reports
import Tensors

LinearAlgebraBackend.prepareProcess()
let flags = NotebookFlags.ofThisProcess(
    program: "reft-composition", summary: "Two adapters trained apart, applied together: each skill measured.",
    accepted: [.option("--out", "DIR", "Where the plot goes (default reft-composition-output)."),
               .option("--per-kind", "N", "Training questions of each kind per adapter (default 10)."),
               .option("--a-layers", "LIST", "Skill A's layers (default 2,3)."),
               .option("--b-layers", "LIST", "Skill B's layers (default 0,1)."),
               .option("--lr", "X", "The learning rate of both adapters (default 0.03).")]
        + ReFTTutorialSetup.commonFlags)
let outputDirectory = URL(fileURLWithPath: flags.value(of: "--out") ?? "reft-composition-output")
let seed = UInt64(flags.integer("--seed", default: 0, in: 0...Int.max))
let perKind = flags.integer("--per-kind", default: 10, in: 1...40)
let base = try ReFTTutorialSetup.base(flags: flags)
let layerRange = 0...(base.model.configuration.layerCount - 1)
let skills = ReFTComposition.skills(aLayers: flags.integers("--a-layers", default: [2, 3], in: layerRange),
                                    bLayers: flags.integers("--b-layers", default: [0, 1], in: layerRange))
let rank = 4, epochs = 150
let learningRate = flags.positiveNumbers("--lr", default: [3e-2])[0]
func layerList(_ layers: [Int]) -> String { layers.map(String.init).joined(separator: ",") }

print("""

== Composition (seed \(seed)) ==

Skill A: answers to home questions ("where does the fox live ?") \(AnswerStyle.opensWithWell.summary); LoReFT rank \(rank) at layers \(layerList(skills[0].layers)).
Skill B: answers to colour questions ("what colour is the fox ?") \(AnswerStyle.opensWithMyFriend.summary); LoReFT rank \(rank) at layers \(layerList(skills[1].layers)).
Each adapter is trained apart, \(epochs) epochs at learning rate \(learningRate), positions f1+l1 (separate weights), in two ways:
"own only" (what one tries first): on \(perKind) questions of its kind in its style, nothing else;
"with negatives": the same, plus \(perKind) of the other skill's kind answered plainly (so it learns to leave those alone).
Then the two of each way act in one plan at prefill (where both act on one layer, A edits first, then B). Scored
on held-out questions: each skill's style rate on its own kind, its leakage (the style on the other kind, which
should stay 0), and the facts. Last, B is trained once more, this time on top of A (A frozen and acting beneath
it), with its home questions answered as A answers them ("well , ...") instead of plainly, and the pair is scored again.

""")
// Training questions come from the first 90 of a seeded shuffle, test questions are the other 60.
let splits = try StyleTaskSplits(world: base.world, trainingCount: 80, validationCount: 10, testCount: 60, seed: seed)
// One batch per epoch in every variant (the own-only data is half the size), so all take the same steps.
@MainActor func train(_ skill: ReFTComposition.Skill, on beneath: [ReFTAdapter] = [], others: ReFTComposition.Others, seed: UInt64) throws -> ReFTAdapter {
    try ReFTComposition.train(skill, on: beneath, others: others, base: base, questions: splits.training, perKind: perKind, rank: rank,
                              options: ReFTTrainingOptions(epochs: epochs, batchSize: others == .absent ? perKind : 2 * perKind,
                                                           learningRate: learningRate, seed: seed), seed: seed)
}
let ownA = try train(skills[0], others: .absent, seed: seed), ownB = try train(skills[1], others: .absent, seed: seed &+ 1)
let adapterA = try train(skills[0], others: .plain, seed: seed), adapterB = try train(skills[1], others: .plain, seed: seed &+ 1)
// The remedy when they interfere: B trained again on top of A (A frozen, acting beneath it), its
// home questions answered in A's style: apart, B's plain answers to them taught it to undo A.
let adapterBOnA = try train(skills[1], on: [adapterA], others: .styled(skills[0].style), seed: seed &+ 1)
let settings: [(String, [ReFTAdapter])] = [
    ("base model", []),
    ("A alone (own only)", [ownA]), ("B alone (own only)", [ownB]), ("A + B (apart, own only)", [ownA, ownB]),
    ("A alone (negatives)", [adapterA]), ("B alone (negatives)", [adapterB]), ("A + B (apart, negatives)", [adapterA, adapterB]),
    ("A + B (B on A)", [adapterA, adapterBOnA]),
]
let scores = try settings.map { try ReFTComposition.score(skills: skills, adapters: $0.1, label: $0.0, base: base, test: splits.test) }
func percent(_ x: Double?) -> String { x.map { "\(Int(($0 * 100).rounded()))%" } ?? "-" }
let testCounts = skills.map { skill in splits.test.filter { $0.kind == skill.kind }.count }
print("Held-out: \(testCounts[0]) home questions, \(testCounts[1]) colour questions.")
print(TextTable(header: ["adapters", "A: style (home)", "A: fact", "A: leak (colour)", "B: style (colour)", "B: fact", "B: leak (home)"], rows: scores.map {
    [$0.adapters, percent($0.own["A"]?.styleRate), percent($0.own["A"]?.factRate), percent($0.leak["A"]?.styleRate),
     percent($0.own["B"]?.styleRate), percent($0.own["B"]?.factRate), percent($0.leak["B"]?.styleRate)]
}).rendered)
let together = scores[7]
func summary(_ score: ReFTComposition.Scores) -> String {
    "A \(percent(score.own["A"]?.styleRate)) on home questions (leaking \(percent(score.leak["A"]?.styleRate)) onto colour ones), "
        + "B \(percent(score.own["B"]?.styleRate)) on colour questions (leaking \(percent(score.leak["B"]?.styleRate)) onto home ones)"
}
func alone(_ a: ReFTComposition.Scores, _ b: ReFTComposition.Scores) -> String {
    "A \(percent(a.own["A"]?.styleRate)) (leak \(percent(a.leak["A"]?.styleRate))), B \(percent(b.own["B"]?.styleRate)) (leak \(percent(b.leak["B"]?.styleRate)))"
}
print("""

Trained apart on their own kind only, each alone: \(alone(scores[1], scores[2]));
applied together: \(summary(scores[3])).
Trained apart with negatives, each alone: \(alone(scores[4], scores[5]));
applied together: \(summary(scores[6])).
With B trained on top of A: \(summary(together)).

Reading the table: trained on its own kind only, an adapter never sees a question it should leave alone,
so nothing keeps it off the other kind (see, alone, its leakage and the other kind's facts); trained with negatives, it learns to give
the other kind plain answers, which is what undoes the other adapter's style. Either way, the adapter on
the upper layers (A, layers \(layerList(skills[0].layers))) reads residual states that the one below (B, layers \(layerList(skills[1].layers))) has
already edited at the same positions: states it never saw in training. Training B with A acting beneath
it, A's answers in its data, is what composes here.
""")
print("\nA and B trained apart on their own kind only, together, some answers:")
print(TextTable(header: ["question", "answer"], rows: (scores[3].own["A"]!.samples + scores[3].own["B"]!.samples).map { [$0.prompt, $0.answer] }).rendered)
print("\nA and B (B trained on A) together, some answers:")
print(TextTable(header: ["question", "answer"], rows: (together.own["A"]!.samples + together.own["B"]!.samples).map { [$0.prompt, $0.answer] }).rendered)

// A grouped bar chart: per setting, each skill's style rate on its own kind.
let barWidth = 22.0, groupGap = 40.0, left = 70.0, top = 76.0, plotHeight = 240.0
var document = SVGDocument(width: left + Double(settings.count) * (4 * barWidth + groupGap) + 230, height: top + plotHeight + 55)
document.text("Two adapters, alone and together", x: document.width / 2, y: 26, size: 16, anchor: "middle", weight: "bold")
document.text("held-out style rate of each skill on its own kind of question, and (pale) on the other kind (leakage); seed \(seed)", x: document.width / 2, y: 46, size: 12, anchor: "middle", color: "#555")
for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
    let y = top + plotHeight * (1 - tick)
    document.line(x1: left, y1: y, x2: document.width - 220, y2: y, color: "#e5e5e5")
    document.text("\(Int(tick * 100))%", x: left - 8, y: y + 4, size: 11, anchor: "end")
}
// Per group four bars: each skill's style rate on its own kind, then (paler) its leakage onto the other kind.
let colours = ["#1f77b4", "#d62728", "#9ecae1", "#f4a6a6"]
let bars: [(skill: String, leak: Bool)] = [("A", false), ("B", false), ("A", true), ("B", true)]
for (group, score) in scores.enumerated() {
    let x0 = left + 20 + Double(group) * (Double(bars.count) * barWidth + groupGap)
    for (index, bar) in bars.enumerated() {
        let value = (bar.leak ? score.leak[bar.skill] : score.own[bar.skill])?.styleRate ?? 0
        let height = max(1, plotHeight * value)
        document.rectangle(x: x0 + Double(index) * barWidth, y: top + plotHeight - height, width: barWidth - 3, height: height, fill: colours[index])
        document.text(percent(value), x: x0 + Double(index) * barWidth + (barWidth - 3) / 2, y: top + plotHeight - height - 4, size: 9, anchor: "middle")
    }
    // Two lines: the adapters, then how they were trained (the parenthesis), so long labels do not collide.
    let label = score.adapters.split(separator: "(", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
    document.text(label[0], x: x0 + 2 * barWidth - 2, y: top + plotHeight + 18, size: 12, anchor: "middle")
    if label.count > 1 { document.text("(" + label[1], x: x0 + 2 * barWidth - 2, y: top + plotHeight + 33, size: 11, anchor: "middle", color: "#555") }
}
document.line(x1: left, y1: top + plotHeight, x2: document.width - 220, y2: top + plotHeight)
for (index, bar) in bars.enumerated() {
    let skill = skills.first { $0.name == bar.skill }!
    let y = top + 10 + Double(index) * 22
    document.rectangle(x: document.width - 205, y: y - 8, width: 14, height: 12, fill: colours[index])
    document.text(bar.leak ? "\(skill.name) leaking onto \(skill.other.rawValue)" : "\(skill.name): \(skill.style.rawValue) on \(skill.kind.rawValue)",
                  x: document.width - 185, y: y + 3, size: 12)
}
document.text("style rate", x: 20, y: top + plotHeight / 2, size: 13, anchor: "middle", rotate: -90)
try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
let svg = outputDirectory.appendingPathComponent("reft-composition.svg")
try document.write(to: svg)
print("\nWrote \(svg.path)")
