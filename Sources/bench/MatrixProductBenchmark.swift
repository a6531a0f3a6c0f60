import ArgumentParser
import CLinearAlgebra
import Foundation
import Tensors

/// `bench matmul`: `Tensor` matrix products against a direct `cblas_sgemm` into a reused buffer.
struct MatrixProductBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matmul",
        abstract: "GFLOP/s of Tensor.matmul beside a direct cblas_sgemm call, with their ratio.",
        discussion: """
            Shapes [m, k] x [k, n]: 256³, 1024³, 2048³ and [1024, 768] x [768, 3072] (a GPT-2 MLP).
            The Tensor path allocates its result and checks shapes on every call; the direct path writes
            into one preallocated buffer. The two alternate, so machine noise hits both alike.
            """
    )

    @OptionGroup var options: BenchmarkOptions

    func run() throws {
        let threads = options.applyThreads()
        print("Matrix products, float32, OpenBLAS threads: \(threads), kernels: \(LinearAlgebraBackend.kernelName), median of \(options.repetitions)\n")
        var rows: [[String]] = []
        for (m, k, n) in [(256, 256, 256), (1024, 1024, 1024), (2048, 2048, 2048), (1024, 768, 3072)] {
            let a = Tensor.normal(shape: [m, k], seed: 1), b = Tensor.normal(shape: [k, n], seed: 2)
            var c = [Float](repeating: 0, count: m * n)
            let flops = 2 * Double(m) * Double(n) * Double(k)
            var tensorTimes: [Double] = [], directTimes: [Double] = []
            for _ in 0..<3 {
                tensorTimes.append(try medianSeconds(repetitions: options.repetitions) { _ = try Tensor.matmul(a, b) })
                directTimes.append(medianSeconds(repetitions: options.repetitions) {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                                1, a.scalars, Int32(k), b.scalars, Int32(n), 0, &c, Int32(n))
                })
            }
            let tensorRate = flops / tensorTimes.min()! / 1e9, directRate = flops / directTimes.min()! / 1e9
            rows.append(["[\(m), \(k)] x [\(k), \(n)]", String(format: "%.1f", tensorRate),
                         String(format: "%.1f", directRate), String(format: "%.3f", tensorRate / directRate)])
        }
        print(table(["shape", "Tensor GFLOP/s", "sgemm GFLOP/s", "ratio"], rows))
    }
}
