import ArgumentParser
import Tensors

/// `swift run -c release bench <benchmark>`: speed measurements, printed as tables.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Interchange's speed against direct library calls and the reference implementations.",
        discussion: """
            Run in release mode on an idle machine: `swift run -c release bench matmul`.
            Each benchmark repeats its work and reports the median, so one slow run does not decide.
            """,
        subcommands: [MatrixProductBenchmark.self, RetractionBenchmark.self, DASStepBenchmark.self, TransformerBenchmark.self, TokenizerBenchmark.self, ReFTStepBenchmark.self, TransformerDASStepBenchmark.self, TransformerDASIIABenchmark.self]
    )

    static func main() {
        LinearAlgebraBackend.prepareProcess()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every benchmark shares.
struct BenchmarkOptions: ParsableArguments {
    @Option(help: "OpenBLAS threads for matrix products (default: all cores).")
    var threads: Int?

    @Option(help: "Timed repetitions per measurement; the median is reported.")
    var repetitions: Int = 9

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Applies the thread count and returns the one in force.
    func applyThreads() -> Int {
        if let threads { LinearAlgebraBackend.threadCount = threads }
        return LinearAlgebraBackend.threadCount
    }
}

/// The median wall-clock seconds of `repetitions` runs of `body`, after one warm-up run.
func medianSeconds(repetitions: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    let clock = ContinuousClock()
    var samples: [Double] = []
    for _ in 0..<repetitions {
        let elapsed = try clock.measure(body)
        samples.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    return samples.sorted()[samples.count / 2]
}

/// A plain text table with right-aligned columns.
func table(_ header: [String], _ rows: [[String]]) -> String {
    let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
        zip(cells, widths).map { String(repeating: " ", count: $1 - $0.count) + $0 }.joined(separator: "  ")
    }
    return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
        .joined(separator: "\n")
}
