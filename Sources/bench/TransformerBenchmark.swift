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
            the reference times it); tokens/s = new tokens / seconds. Figures are medians of --repetitions runs (at most 3, on both sides: each run takes seconds) after
            a warm-up. `matmul share` is the time the forward's projection products take when run alone (same
            shapes, same BLAS calls) over the forward's time. Peak RSS is this process's (getrusage), measured before
            the reference runs in its own process: bench/reference/transformers_bench.py in .venv-reference, with the
            same threads and sizes.
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
        let repetitions = min(options.repetitions, 3)
        let configuration = try TransformerConfiguration(
            family: .gpt2, modelType: "gpt2", vocabularySize: 50257, hiddenSize: 768, layerCount: 12, headCount: 12,
            intermediateSize: 3072, maxPositions: 1024, normEpsilon: 1e-5, tiedEmbeddings: true)
        let model = try Transformer(configuration: configuration, seed: 0)
        model.freeze()
        var generator = SeededGenerator(seed: 1)
        let ids = try TokenBatch((0..<batch).map { _ in (0..<seq).map { _ in generator.nextInt(below: 50257) } })
        let promptIds = (0..<prompt).map { _ in generator.nextInt(below: 50257) }

        let forwardSeconds = try medianSeconds(repetitions: repetitions) {
            _ = try Tensor.withoutGradients { try model(ids, logits: .all) }
        }
        let decodeSeconds = try medianSeconds(repetitions: repetitions) {
            _ = try model.generate(prompts: [promptIds], options: GenerationOptions(maxNewTokens: newTokens))
        }
        let matmulSeconds = try medianSeconds(repetitions: repetitions) { try projectionProducts(model) }
        let ours = Figures(forward: Double(batch * seq) / forwardSeconds, decode: Double(newTokens) / decodeSeconds,
                           peakMegabytes: Self.peakResidentMegabytes())

        print("GPT-2 small (random weights), forward \(batch) x \(seq), decode \(newTokens) after \(prompt), threads: \(threads), OpenBLAS kernels: \(LinearAlgebraBackend.kernelName), median of \(repetitions)\n")
        var rows = [["Interchange", String(format: "%.0f", ours.forward), String(format: "%.1f", ours.decode),
                     String(format: "%.0f", ours.peakMegabytes), String(format: "%.0f%%", 100 * matmulSeconds / forwardSeconds)]]
        var busyShare: Double?
        if reference, let theirs = try referenceFigures(threads: threads) {
            busyShare = theirs.busyShare
            rows.append(["transformers", String(format: "%.0f", theirs.forward), String(format: "%.1f", theirs.decode),
                         String(format: "%.0f", theirs.peakMegabytes), ""])
            rows.append(["ratio", String(format: "%.2fx", ours.forward / theirs.forward), String(format: "%.2fx", ours.decode / theirs.decode),
                         String(format: "%.2fx", ours.peakMegabytes / theirs.peakMegabytes), ""])
        }
        print(table(["", "forward tokens/s", "decode tokens/s", "peak RSS MB", "matmul share"], rows))
        if let busy = busyShare, busy > 0.1 {
            print(String(format: "\nwarning: other processes used %.0f%% of the machine while the reference ran; the sides are not comparable", 100 * busy))
        }
    }

    struct Figures {
        let forward: Double, decode: Double, peakMegabytes: Double
        /// The share of the machine other processes used meanwhile (the reference's `foreign_cpu`), when known.
        var busyShare: Double? = nil
    }

    /// The forward's projection products alone: per layer q, k, v, output, MLP up and down over all
    /// `batch * seq` rows, and the head.
    private func projectionProducts(_ model: Transformer) throws {
        let rows = Tensor.zeros(shape: [batch * seq, 768])
        let wide = Tensor.zeros(shape: [batch * seq, 3072])
        try Tensor.withoutGradients {
            for layer in model.layers {
                for projection in [layer.attention.query, layer.attention.key, layer.attention.value, layer.attention.output, layer.mlp.up] {
                    _ = try Tensor.matmul(rows, projection.weight, transposeB: true)
                }
                _ = try Tensor.matmul(wide, layer.mlp.down.weight, transposeB: true)
            }
            _ = try Tensor.matmul(rows, model.headWeight, transposeB: true)
        }
    }

    private func referenceFigures(threads: Int) throws -> Figures? {
        guard FileManager.default.isExecutableFile(atPath: PyveneReference.python.path) else {
            FileHandle.standardError.write(Data("note: \(PyveneReference.python.path) not found; run `make bench` to compare with transformers\n".utf8))
            return nil
        }
        let output = try PyveneReference.run([
            "bench/reference/transformers_bench.py", "--threads", "\(threads)", "--batch", "\(batch)", "--seq", "\(seq)",
            "--prompt", "\(prompt)", "--new-tokens", "\(newTokens)", "--repetitions", "\(min(options.repetitions, 3))"])
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let forward = json["forward_tokens_per_second"] as? Double, let decode = json["decode_tokens_per_second"] as? Double,
              let peak = json["peak_rss_mb"] as? Double else {
            throw ValidationFailure("the transformers reference printed no figures:\n\(output)")
        }
        return Figures(forward: forward, decode: decode, peakMegabytes: peak, busyShare: json["foreign_cpu"] as? Double)
    }

    /// This process's peak resident set in megabytes (Linux reports `ru_maxrss` in kilobytes).
    static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
