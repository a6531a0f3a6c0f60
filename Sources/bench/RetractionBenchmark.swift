import ArgumentParser
import Foundation
import Tensors

/// `bench retract`: the time of one QR retraction of a rotation.
struct RetractionBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retract",
        abstract: "Time one Rotation.retract() (QR with LAPACK, Float64) for 4 x 768, 16 x 4096 and 16 x 16.",
        discussion: "Retraction runs once per optimizer step, so this is its whole cost per step."
    )

    @OptionGroup var options: BenchmarkOptions

    func run() throws {
        let threads = options.applyThreads()
        print("Rotation retraction (dgeqrf + dorgqr), OpenBLAS threads: \(threads), kernels: \(LinearAlgebraBackend.kernelName), median of \(options.repetitions)\n")
        var rows: [[String]] = []
        for (rank, dimension) in [(4, 768), (16, 4096), (16, 16)] {
            let rotation = try Rotation(rank: rank, dimension: dimension, seed: 1)
            let seconds = try medianSeconds(repetitions: options.repetitions) { try rotation.retract() }
            rows.append(["\(rank) x \(dimension)", String(format: "%.1f", seconds * 1e6),
                         String(format: "%.2e", rotation.orthonormalityError)])
        }
        print(table(["R shape", "µs per retraction", "max|RRᵀ − I| after"], rows))
    }
}
