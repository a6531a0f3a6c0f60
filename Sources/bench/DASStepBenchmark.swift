import Alignment
import ArgumentParser
import CausalModels
import Experiments
import Foundation
import Interventions
import Networks
import Tensors

/// `bench das`: DAS training steps per second, ours beside pyvene's, on the same networks and data.
struct DASStepBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "das",
        abstract: "DAS training steps per second: Interchange beside pyvene 0.1.8 on CPU torch, same network, data and threads.",
        discussion: """
            Two workloads: hierarchical equality (MLP 16-16-16-16-2, site layer.0, a 16 x 16 rotation with WX on
            coordinates 0..7 and YZ on 8..15) at batch 6400, and boolean AND (the 2 x 2 rotation example) at its
            full 96-example batch. A step is the forward pass with the intervention, cross-entropy, backward,
            the Adam update and the QR retraction.

            Interchange is timed two ways: `full step` runs the sources and the base through the network every step,
            as pyvene does; `trainer step` is what DistributedAlignmentSearch.train does, which computes the frozen
            network's representations at the site once and runs only the intervention and the layers after it.
            The pyvene side runs bench/reference/pyvene_das_step.py with the virtualenv that `make bench` installs
            (.venv-reference); without it, only Interchange's figures are printed. Every figure is the best of
            --repeats runs, on both sides, so that a moment of noise on the machine does not decide.
            """
    )

    @OptionGroup var options: BenchmarkOptions

    @Option(help: "Timed steps per workload.")
    var steps: Int = 200

    @Flag(inversion: .prefixedNo, help: "Run pyvene beside Interchange (needs .venv-reference).")
    var reference = true

    @Option(help: "Which workload to run: all, hierarchical-equality or boolean-and.")
    var workload = "all"

    @Option(help: "Runs per figure, on each side; the best is reported.")
    var repeats = 3

    func validate() throws {
        guard ["all", "hierarchical-equality", "boolean-and"].contains(workload) else {
            throw ValidationError("--workload must be all, hierarchical-equality or boolean-and, not '\(workload)'")
        }
        guard steps >= 1, repeats >= 1 else { throw ValidationError("--steps and --repeats must be at least 1") }
    }

    func run() throws {
        let threads = options.applyThreads()
        print("DAS training steps, OpenBLAS and torch threads: \(threads), OpenBLAS kernels: \(LinearAlgebraBackend.kernelName), best of \(repeats) runs per figure\n")
        let workspace = FileManager.default.temporaryDirectory.appendingPathComponent("interchange-bench-das-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workspace) }
        var rows: [[String]] = []
        for workload in try DASWorkload.all(steps: steps) where self.workload == "all" || self.workload == workload.identifier {
            let directory = workspace.appendingPathComponent(workload.name)
            try workload.network.save(to: directory.appendingPathComponent("network"))
            try workload.data.write(to: directory.appendingPathComponent("data.safetensors"), site: workload.configuration.site,
                                    subspaceSizes: workload.configuration.subspaceSizes)
            let full = try (0..<repeats).map { _ in try workload.fullStepsPerSecond(steps: steps) }.max()!
            let trainer = try (0..<repeats).map { _ in try workload.trainerStepsPerSecond(steps: steps) }.max()!
            let pyvene = reference ? try (0..<repeats).compactMap { _ in
                try PyveneReference.stepsPerSecond(directory: directory, batchSize: workload.configuration.batchSize,
                                                   steps: max(20, steps / 4), threads: threads)
            }.max() : nil
            func ratio(_ ours: Double) -> String { pyvene.map { String(format: "%.1fx", ours / $0) } ?? "-" }
            rows.append([workload.name, "\(workload.configuration.batchSize)", String(format: "%.1f", full), String(format: "%.1f", trainer),
                         pyvene.map { String(format: "%.1f", $0) } ?? "not run", ratio(full), ratio(trainer)])
        }
        print(table(["workload", "batch", "full step/s", "trainer step/s", "pyvene step/s", "full / pyvene", "trainer / pyvene"], rows))
    }
}

/// One benchmarked DAS configuration with its network and data.
struct DASWorkload {
    let name: String
    var identifier: String { name.lowercased().replacingOccurrences(of: " ", with: "-") }
    let network: MultilayerPerceptron
    let configuration: DASConfiguration
    let data: AlignmentDataset

    static func all(steps: Int) throws -> [DASWorkload] {
        let equality = try CausalTask.hierarchicalEquality()
        let equalityNetwork = try MultilayerPerceptron(
            MLPConfiguration(inputDimension: 16, hiddenDimensions: [16, 16, 16], outputDimension: 2), seed: 1)
        let equalityData = try HierarchicalEquality.data(task: equality, trainingCount: 6400, testCount: 0, seed: 1).training
        return [
            DASWorkload(name: "hierarchical equality", network: equalityNetwork,
                        configuration: HierarchicalEquality.configuration(site: "layer.0", epochs: 1, batchSize: 6400, learningRate: 0.001, seed: 0),
                        data: equalityData),
            DASWorkload(name: "boolean AND", network: try BooleanAndRotation.network(hiddenAngle: 20),
                        configuration: BooleanAndRotation.configuration(steps: 1, learningRate: 0.05, seed: 0),
                        data: try BooleanAndRotation.data(seed: 0).training),
        ]
    }

    /// Steps per second of the plain loop a user would write: sources and base through the network
    /// every step (`MultilayerPerceptron.interchange`), loss, backward, Adam, retraction.
    func fullStepsPerSecond(steps: Int) throws -> Double {
        let search = try DistributedAlignmentSearch(network: network, configuration: configuration)
        let intervention = search.intervention
        let optimizer = Adam(parameters: intervention.parameters, learningRate: configuration.learningRate)
        let rows = Array(0..<min(configuration.batchSize, data.count))
        let batch = try data.rows(rows)
        let step = {
            let logits = try network.interchange(base: batch.baseInputs, sources: batch.sourceInputs, at: search.site, intervention: intervention)
            try Tensor.crossEntropy(logits: logits, labels: batch.labels).backward()
            try intervention.willStep()
            optimizer.step()
            optimizer.zeroGradients()
            try intervention.didStep()
        }
        for _ in 0..<5 { try step() }
        return try DASWorkload.rate(steps: steps) { for _ in 0..<steps { try step() } }
    }

    /// Steps per second of `body`, which takes `steps` steps, run again until half a second has
    /// passed so that short workloads are timed over enough work.
    static func rate(steps: Int, _ body: () throws -> Void) throws -> Double {
        let clock = ContinuousClock()
        var (elapsed, taken) = (Duration.zero, 0)
        while elapsed < .milliseconds(500) {
            elapsed += try clock.measure(body)
            taken += steps
        }
        return Double(taken) / elapsed.seconds
    }

    /// Steps per second of `DistributedAlignmentSearch.train`, its one-time caching included.
    func trainerStepsPerSecond(steps: Int) throws -> Double {
        var configuration = configuration
        configuration.epochs = steps
        let stepsPerRun = try DistributedAlignmentSearch(network: network, configuration: configuration).stepCount(forExamples: data.count)
        return try DASWorkload.rate(steps: stepsPerRun) {
            try DistributedAlignmentSearch(network: network, configuration: configuration).train(on: data)
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
