import Testing
import TestSupport
@testable import Tensors

/// Products with a single row (`m == 1`, a decoding step) or a single column (`n == 1`) take the
/// `sgemv` path in `BLAS.multiply`; these check it against a Float64 product for every transpose
/// combination, through the batched forms and through backward (whose products are also thin).
@Suite struct MatrixVectorProductTests {
    /// `op(A) op(B)` in Float64 for row-major `a` (`[m, k]`, or `[k, m]` when transposed) and `b`.
    func reference(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> [Float] {
        (0..<(m * n)).map { index in
            let (i, j) = (index / n, index % n)
            let total = (0..<k).reduce(0.0) { sum, p in
                let x = Double(transposeA ? a[p * m + i] : a[i * k + p])
                let y = Double(transposeB ? b[j * k + p] : b[p * n + j])
                return sum + x * y
            }
            return Float(total)
        }
    }

    @Test(arguments: [(1, 7, 5), (4, 1, 6), (1, 1, 9), (1, 33, 1), (3, 1, 1)])
    func thinProductsMatchFloat64(m: Int, n: Int, k: Int) throws {
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = Tensor.normal(shape: transposeA ? [k, m] : [m, k], seed: 1)
                let b = Tensor.normal(shape: transposeB ? [n, k] : [k, n], seed: 2)
                let product = try Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
                #expect(product.shape == [m, n])
                let expected = reference(a.scalars, b.scalars, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
                #expect(close(product.scalars, expected, tolerance: 1e-5),
                        "m \(m) n \(n) k \(k) transposeA \(transposeA) transposeB \(transposeB)")
            }
        }
    }

    @Test func batchedSingleRowProductsMatchFloat64() throws {
        // A decoding step's attention: one query row per head against that head's keys.
        let (batch, k, n) = (3, 8, 5)
        let query = Tensor.normal(shape: [batch, 1, k], seed: 3), keys = Tensor.normal(shape: [batch, n, k], seed: 4)
        let scores = try Tensor.matmul(query, keys, transposeB: true)
        #expect(scores.shape == [batch, 1, n])
        for entry in 0..<batch {
            let expected = reference(Array(query.scalars[(entry * k)..<((entry + 1) * k)]),
                                     Array(keys.scalars[(entry * n * k)..<((entry + 1) * n * k)]),
                                     m: 1, n: n, k: k, transposeA: false, transposeB: true)
            #expect(close(Array(scores.scalars[(entry * n)..<((entry + 1) * n)]), expected, tolerance: 1e-5))
        }
    }

    @Test func nonFiniteGarbageNeverLeaksIntoAFreshResult() throws {
        // The result buffer is uninitialized; sgemv with beta 0 must not read it (it is zeroed first).
        for _ in 0..<20 {
            let product = try Tensor.matmul(Tensor.ones(shape: [1, 4]), Tensor.ones(shape: [4, 300]))
            #expect(product.scalars.allSatisfy { $0 == 4 })
        }
    }

    @Test func gradientsThroughThinProducts() throws {
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let row = variable(transposeA ? [4, 1] : [1, 4], seed: 5), matrix = variable(transposeB ? [3, 4] : [4, 3], seed: 6)
                try expectGradientsMatch(of: [row, matrix]) { try Tensor.matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
                let left = variable(transposeA ? [4, 3] : [3, 4], seed: 7), column = variable(transposeB ? [1, 4] : [4, 1], seed: 8)
                try expectGradientsMatch(of: [left, column]) { try Tensor.matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
            }
        }
        // A shared weight with one row per batch entry: its gradient sums single-row products (beta 1).
        let rows = variable([3, 1, 4], seed: 9), weight = variable([5, 4], seed: 10)
        try expectGradientsMatch(of: [rows, weight]) { try Tensor.matmul($0[0], $0[1], transposeB: true) }
        let perEntry = variable([3, 4, 5], seed: 11)
        try expectGradientsMatch(of: [rows, perEntry]) { try Tensor.matmul($0[0], $0[1]) }
    }
}
