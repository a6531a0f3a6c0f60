import ArgumentParser
import Foundation
import ReFT
import Tensors
import Transformers

/// `bench reft`: a LoReFT training step and LoReFT-adapted greedy decoding on a GPT-2-small-shaped model,
/// Interchange beside pyreft 0.1.0 (issue 9, point 11).
struct ReFTStepBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reft",
        abstract: "LoReFT training step and adapted greedy decoding on GPT-2 small (random weights), beside pyreft 0.1.0.",
        discussion: """
            The model has GPT-2 small's shape (12 layers, width 768, 12 heads, vocabulary 50257, tied head), seeded
            random weights, frozen. The adapter: LoReFT rank --rank at block_output of --layers, positions f1+l1 with
            separate prefix and suffix weights (4 layers: 8 x (2*768*4 + 4) = 49,184 trainable parameters, printed for
            both sides). (a) step: one training step on a batch of --batch rows, each a --prompt-token prompt then a
            --response-token response of random ids, loss on the response: the intervened forward, the causal-LM loss,
            backward, AdamW (lr 4e-3, weight decay 0), zero grad; here also the rotation's tangent projection before
            the update and its QR retraction after it, timed on their own. (b) decode: greedy generation of
            --new-tokens tokens after a --decode-prompt-token random prompt at batch 1 with the key/value cache, the
            adapter acting on the prompt's first and last positions during the prefill (pyreft: `generate` with
            intervene_on_prompt=True).

            The reference (bench/reference/pyreft_step.py --serve in .venv-reference, same threads and sizes) runs in
            its own process; the sides' timed runs alternate (ours, theirs, ours, theirs), so a busy neighbour slows
            both alike. Each figure is the best of --repetitions runs (at most 5) after a warm-up. Peak RSS is each
            process's getrusage high-water mark after all its runs. The load average is printed at start and end.

            Also printed: the step's matrix products (their 2mnk operations and the time inside BLAS, beside sgemm
            at 2048³ measured in each round) and the ceiling they set: pyreft's best step time over the time the
            products alone take at the processors' float32 FMA peak (measured in each round with ten independent
            8-lane FMA chains per thread: no float32 implementation making these products on this machine can beat
            that ratio), at the sgemm rate (none making them through this BLAS can) and at the rate they reached in
            the run.
            """
    )

    @OptionGroup var options: BenchmarkOptions

    @Option(help: "Rows per training batch.")
    var batch = 8
    @Option(help: "Prompt tokens per training row.")
    var prompt = 64
    @Option(help: "Response tokens per training row (the loss positions).")
    var response = 64
    @Option(help: "LoReFT rank.")
    var rank = 4
    @Option(help: "Intervened layers, comma-separated.")
    var layers = "2,4,6,8"
    @Option(name: .customLong("decode-prompt"), help: "Decoding prompt length.")
    var decodePrompt = 32
    @Option(name: .customLong("new-tokens"), help: "Tokens to decode.")
    var newTokens = 64
    @Flag(inversion: .prefixedNo, help: "Run pyreft beside Interchange (needs .venv-reference).")
    var reference = true

    func validate() throws {
        guard batch >= 1, prompt >= 2, response >= 1, rank >= 1, decodePrompt >= 2, newTokens >= 1 else {
            throw ValidationError("--batch, --response, --rank and --new-tokens must be at least 1, --prompt and --decode-prompt at least 2 (f1+l1)")
        }
        guard prompt + response <= 1024, decodePrompt + newTokens <= 1024 else {
            throw ValidationError("GPT-2 has 1024 positions: --prompt + --response and --decode-prompt + --new-tokens must be at most 1024")
        }
        guard rank <= 768 else { throw ValidationError("--rank must be at most the width 768") }
        _ = try parsedLayers()
    }

    private func parsedLayers() throws -> [Int] {
        let parsed = layers.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil && (0..<12).contains($0!) }) else {
            throw ValidationError("--layers \(layers): expected comma-separated layer indices between 0 and 11")
        }
        return parsed.map { $0! }
    }

    /// One training step's wall-clock seconds, split into what the rotation's constraint costs, and
    /// the step's matrix products (their operations and the time inside BLAS).
    struct StepTimes {
        var total: Double, projection: Double, update: Double, retraction: Double, loss: Float
        var products: MatrixProductTimer.Totals
    }

    func run() throws {
        let threads = options.applyThreads()
        let runs = min(options.repetitions, 5)
        let layerList = try parsedLayers()
        print("LoReFT on GPT-2 small (random weights): rank \(rank), layers \(layers), f1+l1 separate weights; step \(batch) x (\(prompt) + \(response)), decode \(newTokens) after \(decodePrompt); threads: \(threads), OpenBLAS kernels: \(LinearAlgebraBackend.kernelName), best of \(runs), sides interleaved")
        print(MachineMeasurements.loadReport("at start"))
        let server = try startReference(threads: threads)

        let configuration = try TransformerConfiguration(
            family: .gpt2, modelType: "gpt2", vocabularySize: 50257, hiddenSize: 768, layerCount: 12, headCount: 12,
            intermediateSize: 3072, maxPositions: 1024, normEpsilon: 1e-5, tiedEmbeddings: true)
        let model = try Transformer(configuration: configuration, seed: 0)
        model.freeze()
        let spec = ReFTSpec(kind: .loreft, rank: rank, layers: .list(layerList), positions: try PositionSpec(parsing: "f1+l1"))
        let adapter = try ReFTAdapter(spec: spec, model: configuration, seed: 1)
        var generator = SeededGenerator(seed: 2)
        let examples = (0..<batch).map { _ in
            PromptCompletionExample(prompt: (0..<prompt).map { _ in generator.nextInt(below: 50257) },
                                    completion: (0..<response).map { _ in generator.nextInt(below: 50257) }, line: 1)
        }
        let trainingBatch = try PromptCompletionDataset.batch(examples)
        let decodeIds = (0..<decodePrompt).map { _ in generator.nextInt(below: 50257) }
        let optimizer = Adam.adamW(parameters: adapter.parameters, learningRate: 4e-3, weightDecay: 0)
        let clock = ContinuousClock()

        func step() throws -> StepTimes {
            var loss: Float = 0
            var projection = 0.0, update = 0.0, retraction = 0.0
            var products: MatrixProductTimer.Totals?
            let total = MachineMeasurements.seconds(try clock.measure { products = try MatrixProductTimer.measuring {
                let plan = try adapter.plan(tokens: trainingBatch.tokens, promptLengths: trainingBatch.promptLengths)
                let value = try model.languageModelLoss(trainingBatch.tokens, labels: trainingBatch.labels, plan: plan)
                try value.backward()
                loss = value.scalar
                projection = MachineMeasurements.seconds(try clock.measure { try adapter.willStep() })
                update = MachineMeasurements.seconds(clock.measure { optimizer.step() })
                retraction = MachineMeasurements.seconds(try clock.measure { try adapter.didStep() })
                optimizer.zeroGradients()
            } })
            return StepTimes(total: total, projection: projection, update: update, retraction: retraction, loss: loss,
                             products: products!)
        }
        func decode() throws -> Double {
            try MachineMeasurements.seconds(clock.measure {
                let generated = try model.generate(prompts: [decodeIds], options: GenerationOptions(maxNewTokens: newTokens),
                                                   plan: adapter.generationPlan(prompts: [decodeIds]))
                guard generated.count == 1, generated[0].count == newTokens else {
                    throw ValidationFailure("generate gave \(generated.map(\.count)) tokens, expected [\(newTokens)]")
                }
            })
        }

        _ = try step()  // warm-ups
        _ = try decode()
        try server?.waitUntilReady()
        var ours = (steps: [StepTimes](), decode: [Double]())
        var theirs = (steps: [Double](), decode: [Double]())
        var sgemmRates: [Double] = [], peakRates: [Double?] = []
        for _ in 0..<runs {
            sgemmRates.append(MachineMeasurements.sgemmRate())
            peakRates.append(MachineMeasurements.fmaPeakRate(threads: threads))
            ours.steps.append(try step())
            if let server { theirs.steps.append(try seconds(server.request("step"))) }
            ours.decode.append(try decode())
            if let server { theirs.decode.append(try seconds(server.request("decode"))) }
        }
        let ourPeak = TransformerBenchmark.peakResidentMegabytes()
        let summary = try server?.finish()

        let best = ours.steps.min { $0.total < $1.total }!
        let decodeRate = Double(newTokens) / ours.decode.min()!
        print()
        print("trainable parameters: Interchange \(Self.grouped(adapter.parameterCount))"
              + ((summary?["trainable_parameters"] as? Int).map { ", pyreft \(Self.grouped($0))" } ?? ""))
        var rows = [["Interchange", String(format: "%.3f", 1 / best.total), String(format: "%.2f", decodeRate), String(format: "%.0f", ourPeak)]]
        if let summary, let theirStep = theirs.steps.min(), let theirDecode = theirs.decode.min() {
            let theirPeak = summary["peak_rss_mb"] as? Double ?? .nan
            let theirDecodeRate = Double(newTokens) / theirDecode
            rows.append(["pyreft \(summary["pyreft"] as? String ?? "?") (torch \(summary["torch"] as? String ?? "?"))",
                         String(format: "%.3f", 1 / theirStep), String(format: "%.2f", theirDecodeRate), String(format: "%.0f", theirPeak)])
            rows.append(["ratio (Interchange / pyreft)", String(format: "%.2fx", theirStep / best.total), String(format: "%.2fx", decodeRate / theirDecodeRate),
                         String(format: "%.2fx", ourPeak / theirPeak)])
        }
        print(table(["", "training steps/s", "adapted decode tokens/s", "peak RSS MB"], rows))
        print()
        print(String(format: "best step %.3f s: tangent projection %.2f ms (%.2f%%), AdamW update %.2f ms, QR retraction %.2f ms (%.2f%% of the step; goal under 5%%); loss %.4f",
                     best.total, best.projection * 1e3, 100 * best.projection / best.total, best.update * 1e3,
                     best.retraction * 1e3, 100 * best.retraction / best.total, best.loss))
        let productRate = best.products.operations / best.products.seconds / 1e9, sgemm = sgemmRates.max()!
        print(String(format: "step matrix work: %.0f GFLOP of products, %.2f s inside BLAS of %.2f s (%.0f%%): %.1f GFLOP/s = %.0f%% of sgemm at 2048³ (%.1f GFLOP/s, same threads)",
                     best.products.operations / 1e9, best.products.seconds, best.total, 100 * best.products.seconds / best.total,
                     productRate, 100 * productRate / sgemm, sgemm))
        if let theirStep = theirs.steps.min() {
            print(MachineMeasurements.ceilingReport(work: best.products, peakRate: peakRates.compactMap { $0 }.max(), sgemmRate: sgemm, referenceName: "pyreft's step",
                                                    referenceSeconds: theirStep, goal: 2))
        }
        print("runs (s): Interchange step \(format(ours.steps.map(\.total))), decode \(format(ours.decode))"
              + (server == nil ? "" : "; pyreft step \(format(theirs.steps)), decode \(format(theirs.decode))"))
        print(MachineMeasurements.loadReport("at end"))
    }

    private static func grouped(_ value: Int) -> String {
        let digits = String(value)
        return digits.enumerated().map { index, character in
            (index > 0 && (digits.count - index) % 3 == 0 ? "," : "") + String(character)
        }.joined()
    }

    private func format(_ seconds: [Double]) -> String {
        "[" + seconds.map { String(format: "%.3f", $0) }.joined(separator: ", ") + "]"
    }

    private func seconds(_ reply: [String: Any]) throws -> Double {
        guard let seconds = reply["seconds"] as? Double else { throw ValidationFailure("the pyreft reference replied \(reply)") }
        return seconds
    }

    /// pyreft in --serve mode, or `nil` when it is not wanted or its virtualenv is missing.
    private func startReference(threads: Int) throws -> ReferenceServer? {
        guard reference else { return nil }
        guard FileManager.default.isExecutableFile(atPath: PyveneReference.python.path) else {
            FileHandle.standardError.write(Data("note: \(PyveneReference.python.path) not found; run `make bench` to compare with pyreft\n".utf8))
            return nil
        }
        return try ReferenceServer(python: PyveneReference.python, arguments: [
            "bench/reference/pyreft_step.py", "--serve", "--warmup", "1", "--threads", "\(threads)", "--batch", "\(batch)",
            "--prompt", "\(prompt)", "--response", "\(response)", "--rank", "\(rank)", "--layers", layers,
            "--decode-prompt", "\(decodePrompt)", "--new-tokens", "\(newTokens)"])
    }
}
