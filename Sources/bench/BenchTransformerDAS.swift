import Alignment
import ArgumentParser
import Foundation
import Randomness
import Tensors
import Transformers

/// `bench das-transformer`: one boundless-DAS training step at one layer and position of a GPT-2-small-shaped
/// model, Interchange beside pyvene 0.1.8 (issue 10, point 7).
struct TransformerDASStepBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "das-transformer",
        abstract: "One boundless-DAS training step on GPT-2 small (random weights), batch 16 x 64, beside pyvene 0.1.8.",
        discussion: """
            The model has GPT-2 small's shape (12 layers, width 768, 12 heads, vocabulary 50257, tied head), seeded
            random weights, frozen. Boundless DAS at block_output of --layer, token --position of the base written
            from the same position of the source: a full 768 x 768 rotation and a learned interval of rotated
            coordinates (initially the first half, as pyvene's boundary 0.5), temperature annealed from 50 to 0.1 and
            the learning rate (Adam, 1e-3) decaying linearly over a planned run of 1000 steps. A batch is --batch base
            prompts and --batch source prompts of --seq random ids, with a random answer token per row; the loss is the
            cross-entropy of the logits at each base prompt's last position over the whole vocabulary.

            Timed, each the best of --repetitions runs (at most 5) after a warm-up:
              full step     TransformerAlignmentSearch.trainingStep(batch:): the sources run up to the site (no tape),
                            the base runs with the intervention, backward to the rotation and the interval, the
                            tangent projection, Adam, the QR retraction, the annealing: base and source runs
                            included, as pyvene runs them;
              trainer step  trainingStep(frozen:): what `train` does at a residual-stream site, on the base and
                            source representations at the site computed once before the run (their one-off cost is
                            printed beside, best of the same rounds): the intervention and the layers from the site up;
              pyvene        bench/reference/pyvene_boundless_step.py --serve in .venv-reference (same threads, shape,
                            batch, site and recipe): the loop of pyvene's Boundless DAS tutorial, an IntervenableModel
                            with a BoundlessRotatedSpaceIntervention; --pyvene-logits all computes logits at every
                            position as the tutorial does, last only at the last (a faster pyvene).
            The sides' timed runs alternate (ours full, pyvene, ours trainer, ...), so a busy neighbour slows both
            alike. Peak RSS is each process's getrusage high-water mark after all its runs; the load average is
            printed at start and end.
            """
    )

    @OptionGroup var options: BenchmarkOptions

    @Option(help: "Prompts per batch (bases; as many sources).")
    var batch = 16
    @Option(help: "Tokens per prompt.")
    var seq = 64
    @Option(help: "The site is block_output of this layer (0...11).")
    var layer = 6
    @Option(help: "The intervened token position (default: the last, seq - 1).")
    var position: Int?
    @Option(name: .customLong("pyvene-logits"), help: "pyvene's logits: all (every position, as its tutorial) or last.")
    var pyveneLogits = "all"
    @Flag(inversion: .prefixedNo, help: "Run pyvene beside Interchange (needs .venv-reference).")
    var reference = true

    func validate() throws {
        guard batch >= 1, seq >= 1, seq <= 1024 else { throw ValidationError("--batch must be at least 1 and --seq in 1...1024 (GPT-2's positions)") }
        guard (0..<12).contains(layer) else { throw ValidationError("--layer \(layer): GPT-2 small has layers 0...11") }
        if let position, !(0..<seq).contains(position) { throw ValidationError("--position \(position): expected 0..<\(seq) (--seq)") }
        guard ["all", "last"].contains(pyveneLogits) else { throw ValidationError("--pyvene-logits \(pyveneLogits): expected all or last") }
    }

    func run() throws {
        let threads = options.applyThreads()
        let runs = min(options.repetitions, 5)
        let site = "layer.\(layer).block_output", written = position ?? seq - 1
        print("Boundless DAS on GPT-2 small (random weights): \(site), position \(written), batch \(batch) x \(seq) (+ as many sources); threads: \(threads), OpenBLAS kernels: \(LinearAlgebraBackend.kernelName), best of \(runs), sides interleaved")
        print(MachineMeasurements.loadReport("at start"))
        let server = try startReference(threads: threads, position: written)

        let configuration = try TransformerConfiguration(
            family: .gpt2, modelType: "gpt2", vocabularySize: 50257, hiddenSize: 768, layerCount: 12, headCount: 12,
            intermediateSize: 3072, maxPositions: 1024, normEpsilon: 1e-5, tiedEmbeddings: true)
        let model = try Transformer(configuration: configuration, seed: 0)
        let search = try TransformerAlignmentSearch(
            model: model,
            configuration: DASConfiguration(site: site, variables: ["V"], subspaceSizes: [configuration.hiddenSize / 2], method: .boundless,
                                            batchSize: batch, learningRate: 1e-3, temperatureStart: 50, temperatureEnd: 0.1),
            position: .index(written))
        search.prepareTraining(totalSteps: 1000)
        var generator = SeededGenerator(seed: 1)
        func prompts() -> [[Int]] { (0..<batch).map { _ in (0..<seq).map { _ in generator.nextInt(below: 50257) } } }
        let prompt = (base: prompts(), source: prompts())
        let positions = (0..<batch).map { _ in [written] }
        let trainingBatch = try TokenInterventionBatch(
            base: TokenBatch(prompt.base), sources: [TokenBatch(prompt.source)], positions: positions, sourcePositions: [positions],
            labels: (0..<batch).map { _ in generator.nextInt(below: 50257) })

        let clock = ContinuousClock()
        var frozen: FrozenSiteBatch?
        let freeze = { frozen = try search.frozen(trainingBatch) }
        try freeze()
        var losses = (full: Float(0), trainer: Float(0))
        let full = { losses.full = try search.trainingStep(batch: trainingBatch) }
        let trainer = { losses.trainer = try search.trainingStep(frozen: frozen!) }
        try full()  // warm-ups
        try trainer()
        try server?.waitUntilReady()
        var ours = (full: [Double](), trainer: [Double](), freezing: [Double]())
        var theirs: [Double] = []
        for _ in 0..<runs {
            ours.full.append(MachineMeasurements.seconds(try clock.measure(full)))
            if let server { theirs.append(try seconds(server.request("step"))) }
            ours.trainer.append(MachineMeasurements.seconds(try clock.measure(trainer)))
            ours.freezing.append(MachineMeasurements.seconds(try clock.measure(freeze)))
        }
        let ourPeak = TransformerBenchmark.peakResidentMegabytes()
        let summary = try server?.finish()

        let best = (full: ours.full.min()!, trainer: ours.trainer.min()!)
        print()
        let parameters = search.intervention.trainableParameters().map(\.tensor.elementCount).reduce(0, +)
        print("trainable parameters: Interchange \(parameters) (rotation \(configuration.hiddenSize * configuration.hiddenSize) + interval 2)"
              + ((summary?["trainable_parameters"] as? Int).map { ", pyvene \($0) (rotation, boundary, temperature)" } ?? ""))
        var rows = [["Interchange, full step", String(format: "%.3f", 1 / best.full), String(format: "%.3f", best.full), String(format: "%.0f", ourPeak)],
                    ["Interchange, trainer step", String(format: "%.3f", 1 / best.trainer), String(format: "%.3f", best.trainer), "(same process)"]]
        if let summary, let pyvene = theirs.min() {
            let theirPeak = summary["peak_rss_mb"] as? Double ?? .nan
            rows.append(["pyvene \(summary["pyvene"] as? String ?? "?") (torch \(summary["torch"] as? String ?? "?"), logits: \(pyveneLogits))",
                         String(format: "%.3f", 1 / pyvene), String(format: "%.3f", pyvene), String(format: "%.0f", theirPeak)])
            rows.append(["ratio full / pyvene", String(format: "%.2fx", pyvene / best.full), "", String(format: "%.2fx", ourPeak / theirPeak)])
            rows.append(["ratio trainer / pyvene", String(format: "%.2fx", pyvene / best.trainer), "", ""])
        }
        print(table(["", "steps/s", "best s", "peak RSS MB"], rows))
        if let pyvene = theirs.min() {
            print(String(format: "goal: the full step at least 1.5x pyvene's steps/s: %.2fx, %@", pyvene / best.full, pyvene / best.full >= 1.5 ? "met" : "not met"))
        }
        print()
        print(String(format: "the trainer's representations below the site (bases and sources, no tape): %.3f s, once per example for a whole run, not in its step; losses: full %.4f, trainer %.4f",
                     ours.freezing.min()!, losses.full, losses.trainer)
              + ((summary?["last_loss"] as? Double).map { String(format: ", pyvene %.4f", $0) } ?? ""))
        print("runs (s): Interchange full \(format(ours.full)), trainer \(format(ours.trainer))" + (server == nil ? "" : "; pyvene \(format(theirs))"))
        print(MachineMeasurements.loadReport("at end"))
    }

    private func format(_ seconds: [Double]) -> String {
        "[" + seconds.map { String(format: "%.3f", $0) }.joined(separator: ", ") + "]"
    }

    private func seconds(_ reply: [String: Any]) throws -> Double {
        guard let seconds = reply["seconds"] as? Double else { throw ValidationFailure("the pyvene reference replied \(reply)") }
        return seconds
    }

    /// pyvene in --serve mode, or `nil` when it is not wanted or its virtualenv is missing.
    private func startReference(threads: Int, position: Int) throws -> ReferenceServer? {
        guard reference else { return nil }
        guard FileManager.default.isExecutableFile(atPath: PyveneReference.python.path) else {
            FileHandle.standardError.write(Data("note: \(PyveneReference.python.path) not found; run `make bench` to compare with pyvene\n".utf8))
            return nil
        }
        return try ReferenceServer(python: PyveneReference.python, arguments: [
            "bench/reference/pyvene_boundless_step.py", "--serve", "--warmup", "1", "--threads", "\(threads)", "--batch", "\(batch)",
            "--seq", "\(seq)", "--layer", "\(layer)", "--position", "\(position)", "--logits", pyveneLogits, "--planned-steps", "1000"])
    }
}
