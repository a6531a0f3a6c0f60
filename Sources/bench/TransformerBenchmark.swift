import ArgumentParser
import Foundation
import Tensors
import Transformers

/// `bench transformer`: GPT-2-small-shaped forward and decoding speed, Interchange beside HF transformers.
struct TransformerBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transformer",
        abstract: "GPT-2 small (seeded random weights): forward tokens/s and greedy decoding tokens/s, beside HF transformers.",
        discussion: """
            The model has GPT-2 small's shape: 12 layers, width 768, 12 heads, vocabulary 50257, 1024 positions, tied
            head. (a) forward: one pass over --batch x --seq random ids with logits at every position, as the
            reference computes them; tokens/s = batch * seq / seconds. (b) decode: greedy generation of --new-tokens
            tokens after a --prompt-token random prompt at batch 1 with the key/value cache (the prefill included, as
            the reference times it); tokens/s = new tokens / seconds.

            The reference (bench/reference/transformers_bench.py in .venv-reference, same threads and sizes) runs in
            its own process in --serve mode, and the two sides' timed runs alternate (ours, theirs, ours, theirs), so
            a busy neighbour slows both alike; each figure is the best of --repetitions runs (at most 5) after a
            warm-up. Each round also times one sgemm at 2048³, so the matrix-work fraction compares like with like. Peak RSS is each process's getrusage high-water mark after its timed runs.

            Also measured in the same run: the sgemm rate at 2048³ (as `bench matmul`), the rate the forward's own
            matrix products reach inside the forward (their 2mnk operations over the time spent in BLAS calls), and
            the memory read bandwidth (a sum over a 512 MB array on the same threads), against which decoding is
            stated: it reads every weight once per token. The ceiling line divides the reference's best forward time
            by the time the forward's products alone take at the processors' float32 FMA peak (measured in each
            round with ten independent 8-lane FMA chains per thread: no float32 implementation making these products
            on this machine can beat that ratio), at the sgemm rate (none making them through this BLAS can) and at
            the rate they reached in the run.
            """
    )

    @OptionGroup var options: BenchmarkOptions

    @Option(help: "Forward batch size.")
    var batch = 8
    @Option(help: "Forward sequence length.")
    var seq = 128
    @Option(help: "Decode prompt length.")
    var prompt = 32
    @Option(name: .customLong("new-tokens"), help: "Tokens to decode.")
    var newTokens = 64
    @Flag(inversion: .prefixedNo, help: "Run HF transformers beside Interchange (needs .venv-reference).")
    var reference = true

    func validate() throws {
        guard batch >= 1, seq >= 1, prompt >= 1, newTokens >= 1 else {
            throw ValidationError("--batch, --seq, --prompt and --new-tokens must be at least 1")
        }
        guard seq <= 1024, prompt + newTokens <= 1024 else {
            throw ValidationError("GPT-2 has 1024 positions: --seq and --prompt + --new-tokens must be at most 1024")
        }
    }

    func run() throws {
        let threads = options.applyThreads()
        let runs = min(options.repetitions, 5)
        print("GPT-2 small (random weights), forward \(batch) x \(seq), decode \(newTokens) after \(prompt), threads: \(threads), OpenBLAS kernels: \(LinearAlgebraBackend.kernelName), best of \(runs), sides interleaved")
        print(MachineMeasurements.loadReport("at start"))
        let configuration = try TransformerConfiguration(
            family: .gpt2, modelType: "gpt2", vocabularySize: 50257, hiddenSize: 768, layerCount: 12, headCount: 12,
            intermediateSize: 3072, maxPositions: 1024, normEpsilon: 1e-5, tiedEmbeddings: true)
        let server = try startReference(threads: threads, runs: runs)
        let model = try Transformer(configuration: configuration, seed: 0)
        model.freeze()
        var generator = SeededGenerator(seed: 1)
        let ids = try TokenBatch((0..<batch).map { _ in (0..<seq).map { _ in generator.nextInt(below: 50257) } })
        let promptIds = (0..<prompt).map { _ in generator.nextInt(below: 50257) }
        let forward = { _ = try Tensor.withoutGradients { try model(ids, logits: .all) } }
        let decode = { _ = try model.generate(prompts: [promptIds], options: GenerationOptions(maxNewTokens: newTokens)) }
        try forward()  // warm-ups
        try decode()
        try server?.waitUntilReady()

        var ours = (forward: [Double](), decode: [Double](), products: [MatrixProductTimer.Totals]())
        var theirs = (forward: [Double](), decode: [Double]())
        var sgemmRates: [Double] = [], peakRates: [Double?] = []
        let clock = ContinuousClock()
        for _ in 0..<runs {
            sgemmRates.append(MachineMeasurements.sgemmRate())
            peakRates.append(MachineMeasurements.fmaPeakRate(threads: threads))
            var totals: MatrixProductTimer.Totals?
            ours.forward.append(MachineMeasurements.seconds(try clock.measure { totals = try MatrixProductTimer.measuring(forward) }))
            ours.products.append(totals!)
            if let server { theirs.forward.append(try seconds(server.request("forward"))) }
            ours.decode.append(MachineMeasurements.seconds(try clock.measure(decode)))
            if let server { theirs.decode.append(try seconds(server.request("decode"))) }
        }
        let ourPeak = Self.peakResidentMegabytes()
        let summary = try server?.finish()

        let bestForward = ours.forward.indices.min { ours.forward[$0] < ours.forward[$1] }!
        let products = ours.products[bestForward]
        let sgemm = sgemmRates.max()!
        let bandwidth = MachineMeasurements.readBandwidth(threads: threads)

        let forwardRate = Double(batch * seq) / ours.forward[bestForward]
        let decodeRate = Double(newTokens) / ours.decode.min()!
        var rows = [["Interchange", String(format: "%.0f", forwardRate), String(format: "%.1f", decodeRate), String(format: "%.0f", ourPeak)]]
        if let summary, let theirForward = theirs.forward.min(), let theirDecode = theirs.decode.min() {
            let theirPeak = summary["peak_rss_mb"] as? Double ?? .nan
            let (theirForwardRate, theirDecodeRate) = (Double(batch * seq) / theirForward, Double(newTokens) / theirDecode)
            rows.append(["transformers \(summary["transformers"] as? String ?? "?") (torch \(summary["torch"] as? String ?? "?"))",
                         String(format: "%.0f", theirForwardRate), String(format: "%.1f", theirDecodeRate), String(format: "%.0f", theirPeak)])
            rows.append(["ratio", String(format: "%.2fx", forwardRate / theirForwardRate), String(format: "%.2fx", decodeRate / theirDecodeRate),
                         String(format: "%.2fx", ourPeak / theirPeak)])
        }
        print()
        print(table(["", "forward tokens/s", "decode tokens/s", "peak RSS MB"], rows))

        let productRate = products.operations / products.seconds / 1e9
        print()
        print(String(format: "forward matrix work: %.0f GFLOP of products, %.2f s inside BLAS of %.2f s (%.0f%%): %.1f GFLOP/s = %.0f%% of sgemm at 2048³ (%.1f GFLOP/s, same threads)",
                     products.operations / 1e9, products.seconds, ours.forward[bestForward], 100 * products.seconds / ours.forward[bestForward],
                     productRate, 100 * productRate / sgemm, sgemm))
        // A decoded token reads every parameter once, except GPT-2's position table (one row).
        if let theirForward = theirs.forward.min() {
            print(MachineMeasurements.ceilingReport(work: products, peakRate: peakRates.compactMap { $0 }.max(), sgemmRate: sgemm, referenceName: "transformers' forward pass",
                                                    referenceSeconds: theirForward, goal: 1.3))
        }
        let weightBytes = Double(model.parameterCount - configuration.maxPositions * configuration.hiddenSize) * 4
        let perToken = ours.decode.min()! / Double(newTokens)
        print(String(format: "decoding: %.0f MB of weights per token / %.1f ms per token (prefill included) = %.1f GB/s = %.0f%% of the measured read bandwidth (%.1f GB/s, sum over 512 MB on %d thread%@)",
                     weightBytes / 1e6, perToken * 1e3, weightBytes / perToken / 1e9, 100 * weightBytes / perToken / 1e9 / bandwidth,
                     bandwidth, threads, threads == 1 ? "" : "s"))
        print("runs (s): Interchange forward \(format(ours.forward)), decode \(format(ours.decode))" +
              (server == nil ? "" : "; transformers forward \(format(theirs.forward)), decode \(format(theirs.decode))"))
        print(MachineMeasurements.loadReport("at end"))
    }

    private func format(_ seconds: [Double]) -> String {
        "[" + seconds.map { String(format: "%.3f", $0) }.joined(separator: ", ") + "]"
    }

    private func seconds(_ reply: [String: Any]) throws -> Double {
        guard let seconds = reply["seconds"] as? Double else { throw ValidationFailure("the transformers reference replied \(reply)") }
        return seconds
    }

    /// The reference in --serve mode, or `nil` when it is not wanted or its virtualenv is missing.
    private func startReference(threads: Int, runs: Int) throws -> ReferenceServer? {
        guard reference else { return nil }
        guard FileManager.default.isExecutableFile(atPath: PyveneReference.python.path) else {
            FileHandle.standardError.write(Data("note: \(PyveneReference.python.path) not found; run `make bench` to compare with transformers\n".utf8))
            return nil
        }
        return try ReferenceServer(python: PyveneReference.python, arguments: [
            "bench/reference/transformers_bench.py", "--serve", "--threads", "\(threads)", "--batch", "\(batch)", "--seq", "\(seq)",
            "--prompt", "\(prompt)", "--new-tokens", "\(newTokens)", "--repetitions", "\(runs)"])
    }

    /// This process's peak resident set in megabytes (Linux reports `ru_maxrss` in kilobytes).
    static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
