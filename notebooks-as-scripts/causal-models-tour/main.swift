// A tour of the CausalModels module: the three built-in causal models, their truth tables,
// interchange interventions on them, the graph questions a researcher asks, how a network sees
// their inputs and outputs, and counterfactual datasets.
//
//     swift run causal-models-tour [--out DIR] [--datasets DIR]
//
// --out DIR       where the drawings go (default causal-models-tour-output)
// --datasets DIR  also (re)write the example datasets there, as in datasets/README.md

import CausalModels
import Foundation

/// The flags given, checked: `--help` prints the usage and exits 0; an unknown flag, a stray argument or a
/// flag without its value prints one line and exits 2, before anything runs. (This script depends on
/// CausalModels alone, so it does not use the notebooks' `NotebookFlags`, which lives in Experiments.)
let givenFlags: [String: String] = {
    let usage = """
        causal-models-tour: the built-in causal models, interventions on them, and counterfactual datasets.

        Usage: causal-models-tour [--out DIR] [--datasets DIR]

          --out DIR        where the drawings go (default causal-models-tour-output)
          --datasets DIR   also (re)write the example datasets there, as in datasets/README.md
          --help           print this and exit
        """
    func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("causal-models-tour: error: \(message)\n".utf8))
        exit(2)
    }
    var flags: [String: String] = [:]
    var rest = ArraySlice(CommandLine.arguments.dropFirst())
    while let argument = rest.popFirst() {
        if argument == "--help" || argument == "-h" { print(usage); exit(0) }
        guard ["--out", "--datasets"].contains(argument) else { fail("unknown flag '\(argument)'; the tour takes --out and --datasets (see --help)") }
        guard let value = rest.popFirst() else { fail("\(argument) needs a value (DIR)") }
        flags[argument] = value
    }
    return flags
}()

/// The value following `flag` on the command line, if the flag is there.
func argument(after flag: String) -> String? { givenFlags[flag] }

/// The example datasets of `datasets/`: one counterfactual dataset per built-in model.
struct ExampleDataset {
    let file: String
    let task: CausalTask
    let intervening: [String]
    let seed: UInt64
}

func section(_ title: String) {
    print("\n== \(title) " + String(repeating: "=", count: max(0, 70 - title.count)))
}

func row(_ cells: [String], widths: [Int]) -> String {
    zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " ")
}

func runTour() throws {
    let outDirectory = URL(fileURLWithPath: argument(after: "--out") ?? "causal-models-tour-output")
    try FileManager.default.createDirectory(at: outDirectory, withIntermediateDirectories: true)

    let and = try CausalTask.booleanAnd()
    let sum = try CausalTask.sumOfThree()
    let equality = try CausalTask.hierarchicalEquality()

    section("1. Boolean AND: \(and.summary)")
    print("A causal model is a small DAG of named variables. Its inputs are \(and.model.inputs),")
    print("its outputs \(and.model.outputs). Its whole truth table:")
    print(row(["A", "B", "C"], widths: [6, 6, 6]))
    for input in try and.model.allInputs() {
        let run = try and.model.run(inputs: input)
        print(row(["A", "B", "C"].map { run[$0]!.description }, widths: [6, 6, 6]))
    }
    print("An intervention fixes a variable and cuts its mechanism: with A=true, B=false and C fixed to true,")
    print("the run gives \(try and.model.run(inputs: ["A": true, "B": false], interventions: ["C": true])).")

    section("2. Sum of three digits: \(sum.summary)")
    print("The input space has \(sum.model.inputSpaceSize) inputs; a few worked examples:")
    for input: Assignment in [["X": 1, "Y": 2, "Z": 3], ["X": 9, "Y": 9, "Z": 9], ["X": 0, "Y": 7, "Z": 4]] {
        print("  \(input)  ->  \(try sum.model.run(inputs: input).restricted(to: ["S1", "O"]))")
    }
    let base: Assignment = ["X": 1, "Y": 2, "Z": 3]
    let source: Assignment = ["X": 4, "Y": 5, "Z": 0]
    let counterfactual = try sum.model.interchange(base: base, sources: ["S1": source])
    print("Interchange on S1: the base \(base) has S1=3 and O=6; the source \(source) has S1=9.")
    print("Running the base with S1 taken from the source gives \(counterfactual.restricted(to: ["S1", "O"])):")
    print("the counterfactual label a network aligned with S1 must produce is O=\(counterfactual["O"]!).")
    print("Graph questions: descendants of X \(try sum.model.descendants(of: "X")), ancestors of O \(try sum.model.ancestors(of: "O")),")
    print("paths X → O \(try sum.model.paths(from: "X", to: "O")), can an intervention on Z change S1? \(try sum.model.intervention(on: "Z", canChange: "S1"))")

    section("3. Hierarchical equality: \(equality.summary)")
    let worked: [Assignment] = [
        ["W": "o1", "X": "o1", "Y": "o2", "Z": "o2"],
        ["W": "o1", "X": "o2", "Y": "o3", "Z": "o4"],
        ["W": "o1", "X": "o2", "Y": "o3", "Z": "o3"],
        ["W": "o1", "X": "o1", "Y": "o1", "Z": "o2"],
    ]
    print(row(["W", "X", "Y", "Z", "WX", "YZ", "O"], widths: [5, 5, 5, 5, 6, 6, 6]))
    for input in worked {
        let run = try equality.model.run(inputs: input)
        print(row(["W", "X", "Y", "Z", "WX", "YZ", "O"].map { run[$0]!.description }, widths: [5, 5, 5, 5, 6, 6, 6]))
    }
    let twoSources = ["WX": worked[1], "YZ": worked[0]]
    let doubled = try equality.model.interchange(base: worked[0], sources: twoSources)
    print("Two variables, two sources: base \(worked[0]) (O=true), WX from \(worked[1]) (WX=false),")
    print("YZ from the first example (YZ=true): counterfactual \(doubled.restricted(to: ["WX", "YZ", "O"])).")
    print("A network sees each object as its random embedding, \(equality.encoding.featureCount) features for the four objects:")
    let features = try equality.encoding.encode(input: worked[0])
    print("  " + features.map { String(format: "%+.2f", $0) }.joined(separator: " "))
    print("and the label O=true as class \(try equality.encoding.classIndex(of: ["O": true])) of \(equality.encoding.classCount).")

    section("4. Counterfactual datasets")
    let examples = [
        ExampleDataset(file: "boolean-and-A.jsonl", task: and, intervening: ["A"], seed: 1),
        ExampleDataset(file: "sum-of-three-S1.jsonl", task: sum, intervening: ["S1"], seed: 2),
        ExampleDataset(file: "hierarchical-equality-WX-YZ.jsonl", task: equality, intervening: ["WX", "YZ"], seed: 3),
    ]
    let datasetsDirectory = argument(after: "--datasets").map { URL(fileURLWithPath: $0) }
    for example in examples {
        let dataset = try CounterfactualDataset(
            sampling: example.task.model,
            intervening: example.intervening,
            count: 300,
            seed: example.seed,
            options: CounterfactualOptions(balancesLabels: true)
        )
        let counts = dataset.labelCounts.values
        print("\(example.task.model.name), intervening \(example.intervening.joined(separator: ", ")), seed \(example.seed): "
            + "\(dataset.examples.count) examples, \(dataset.labelCounts.count) labels with \(counts.min()!)–\(counts.max()!) examples each, "
            + "the intervention changed the label of \(String(format: "%.1f%%", 100 * dataset.changedFraction))")
        if let datasetsDirectory {
            try FileManager.default.createDirectory(at: datasetsDirectory, withIntermediateDirectories: true)
            try dataset.write(to: datasetsDirectory.appendingPathComponent(example.file))
            print("  wrote \(datasetsDirectory.appendingPathComponent(example.file).path)")
        }
    }
    print("An IIA is only meaningful on the examples whose label the intervention changed.")

    section("5. Drawings")
    for task in [and, sum, equality] {
        for (format, text) in [("svg", task.model.svg()), ("dot", task.model.dot())] {
            let file = outDirectory.appendingPathComponent("\(task.model.name).\(format)")
            try Data(text.utf8).write(to: file, options: .atomic)
            print("wrote \(file.path)")
        }
    }
}

do {
    try runTour()
} catch {
    FileHandle.standardError.write(Data("causal-models-tour: \(error)\n".utf8))
    exit(1)
}
