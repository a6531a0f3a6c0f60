import Foundation
import Testing
import TestSupport
@testable import Tensors

/// Forward values of the ops against direct computations, and their errors.
@Suite struct TensorOpsTests {
    @Test func broadcastingArithmetic() throws {
        let a = try Tensor(rows: [[1, 2, 3], [4, 5, 6]])
        let row = Tensor([10, 20, 30]), column = try Tensor(shape: [2, 1], scalars: [100, 200])
        #expect(try (a + row).scalars == [11, 22, 33, 14, 25, 36])
        #expect(try (a * column).scalars == [100, 200, 300, 800, 1000, 1200])
        #expect(try (column - row).shape == [2, 3])
        #expect(try (column - row).scalars == [90, 80, 70, 190, 180, 170])
        #expect(try (a / Tensor(2)).scalars == [0.5, 1, 1.5, 2, 2.5, 3])
    }

    @Test func broadcastingAddErrorNamesTheOpAndBothShapes() throws {
        let error = try #require(throws: TensorError.self) {
            try Tensor.zeros(shape: [2, 3]) + Tensor.zeros(shape: [4])
        }
        #expect(error.description.contains("add"))
        #expect(error.description.contains("[2, 3]") && error.description.contains("[4]"))
    }

    @Test func matmulErrorNamesTheOpAndBothShapes() throws {
        let error = try #require(throws: TensorError.self) {
            try Tensor.matmul(Tensor.zeros(shape: [2, 3]), Tensor.zeros(shape: [4, 5]))
        }
        #expect(error.description.contains("matmul"))
        #expect(error.description.contains("[2, 3]") && error.description.contains("[4, 5]"))
        #expect(error.description.contains("inner dimensions 3 and 4"))
    }

    @Test func otherShapeErrors() throws {
        let x = Tensor.zeros(shape: [2, 3])
        #expect(throws: TensorError.self) { try x.reshaped(to: [4, 2]) }
        #expect(throws: TensorError.self) { try x.sum(alongAxes: [2]) }
        #expect(throws: TensorError.self) { try x.gatherRows([2]) }
        #expect(throws: TensorError.self) { try x.scatterRows(Tensor.zeros(shape: [2, 3]), at: [1, 1]) }
        #expect(throws: TensorError.self) { try Tensor.crossEntropy(logits: x, labels: [0, 3]) }
        #expect(throws: TensorError.self) { try Tensor.embedding([5], shape: [1], table: Tensor.zeros(shape: [5, 2])) }
        #expect(throws: TensorError.self) { try Tensor(shape: [2, 2], scalars: [1]) }
        #expect(throws: TensorError.self) { try Tensor.causalAttention(query: Tensor.zeros(shape: [1, 3, 2, 4]),
                                                                    key: Tensor.zeros(shape: [1, 2, 2, 4]), value: Tensor.zeros(shape: [1, 2, 2, 4])) }
        #expect(throws: TensorError.self) { try Tensor.zeros(shape: [3]).backward() }
    }

    @Test(arguments: [false, true])
    func matmulMatchesADirectComputation(transposed: Bool) throws {
        let (batch, m, k, n) = (3, 4, 5, 6)
        let a = Tensor.normal(shape: transposed ? [batch, k, m] : [batch, m, k], seed: 1)
        let b = Tensor.normal(shape: transposed ? [batch, n, k] : [batch, k, n], seed: 2)
        let product = try Tensor.matmul(a, b, transposeA: transposed, transposeB: transposed)
        #expect(product.shape == [batch, m, n])
        for i in 0..<batch {
            for row in 0..<m {
                for column in 0..<n {
                    var expected: Float = 0
                    for inner in 0..<k {
                        let x = transposed ? a[i, inner, row] : a[i, row, inner]
                        let y = transposed ? b[i, column, inner] : b[i, inner, column]
                        expected += x * y
                    }
                    #expect(abs(product[i, row, column] - expected) < 1e-4)
                }
            }
        }
    }

    @Test func sharedWeightProductEqualsPerBatchProducts() throws {
        let x = Tensor.normal(shape: [2, 3, 4], seed: 3), w = Tensor.normal(shape: [4, 5], seed: 4)
        let whole = try Tensor.matmul(x, w)
        for i in 0..<2 {
            let single = try Tensor.matmul(x.gatherRows([i]).reshaped(to: [3, 4]), w)
            #expect(close(Array(whole.scalars[(i * 15)..<((i + 1) * 15)]), single.scalars))
        }
    }

    @Test func frozenWeightsRecordNoGradientWork() throws {
        // Only the input requires a gradient: the backward pass makes one product (for the input)
        // and the weight's gradient stays empty.
        let input = Tensor.normal(shape: [8, 4], seed: 5, requiresGradient: true)
        let weight = Tensor.normal(shape: [4, 3], seed: 6)
        let loss = try Tensor.matmul(input, weight).sum()
        let backwardProducts = try MatrixProductCounter.countingProducts { try loss.backward() }
        #expect(backwardProducts == 1)
        #expect(weight.gradient == nil)
        #expect(input.gradient != nil)

        // With the weight trainable too, the backward pass makes two.
        weight.requiresGradient = true
        let both = try Tensor.matmul(input, weight).sum()
        #expect(try MatrixProductCounter.countingProducts { try both.backward() } == 2)
        #expect(weight.gradient != nil)

        // Nothing requires a gradient: no tape at all.
        let frozen = try Tensor.matmul(Tensor.ones(shape: [2, 4]), Tensor.ones(shape: [4, 3]))
        #expect(frozen.tapeRecord == nil && !frozen.requiresGradient)
    }

    @Test func reductionsAndShapeOps() throws {
        let x = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(try x.sum(alongAxes: [0]).scalars == [5, 7, 9])
        #expect(try x.sum(alongAxes: [1], keepingDimensions: true).shape == [2, 1])
        #expect(try x.mean(alongAxes: [-1]).scalars == [2, 5])
        #expect(x.sum().scalar == 21)
        #expect(try x.transposed().scalars == [1, 4, 2, 5, 3, 6])
        #expect(try x.slice(alongAxis: 1, 1..<3).scalars == [2, 3, 5, 6])
        #expect(try Tensor.concatenate([x, x], alongAxis: 1).scalars == [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
        #expect(try x.gatherRows([1, 1]).scalars == [4, 5, 6, 4, 5, 6])
        #expect(try x.scatterRows(Tensor(rows: [[0, 0, 0]]), at: [0]).scalars == [0, 0, 0, 4, 5, 6])
        let permuted = try Tensor.normal(shape: [2, 3, 4], seed: 7).permuted([1, 2, 0])
        #expect(permuted.shape == [3, 4, 2])
    }

    @Test func softmaxNormsAndActivationsMatchTheirFormulas() throws {
        let x = try Tensor(rows: [[1, 2, 3], [0, 0, 1000]])
        let expected = [1, M_E, M_E * M_E].map { Float($0 / (1 + M_E + M_E * M_E)) }
        #expect(close(Array(x.softmax().scalars.prefix(3)), expected))
        #expect(close(Array(x.softmax().scalars.suffix(3)), [0, 0, 1]))
        #expect(close(x.logSoftmax().scalars.prefix(3).map { Foundation.exp($0) }, expected))
        let loss = try Tensor.crossEntropy(logits: x, labels: [2, -100])
        #expect(abs(loss.scalar + Foundation.log(expected[2])) < 1e-6)

        let row = Tensor([1, 2, 3, 4])
        let normalized = try row.layerNorm(weight: Tensor.ones(shape: [4]), bias: Tensor.zeros(shape: [4]))
        let deviation = Float((1.25 + 1e-5).squareRoot())
        #expect(close(normalized.scalars, [-1.5, -0.5, 0.5, 1.5].map { $0 / deviation }))
        let rms = try row.rmsNorm(weight: Tensor.filled(2, shape: [4]))
        let root = Float((7.5 + 1e-6).squareRoot())
        #expect(close(rms.scalars, [1, 2, 3, 4].map { 2 * $0 / root }))

        let values = Tensor([-1, 0.5])
        #expect(values.relu().scalars == [0, 0.5])
        #expect(close(values.gelu().scalars, [-0.158808, 0.345714], tolerance: 1e-5))
        #expect(close(values.silu().scalars, [-0.268941, 0.311236], tolerance: 1e-5))
    }

    @Test func causalAttentionMatchesADirectComputation() throws {
        let (t, d) = (3, 2)
        let q = Tensor.normal(shape: [1, 1, t, d], seed: 8), k = Tensor.normal(shape: [1, 1, t, d], seed: 9)
        let v = Tensor.normal(shape: [1, 1, t, d], seed: 10)
        let output = try Tensor.causalAttention(query: q, key: k, value: v)
        for i in 0..<t {
            let scores = (0...i).map { j in (0..<d).reduce(Float(0)) { $0 + q[0, 0, i, $1] * k[0, 0, j, $1] } / Float(d).squareRoot() }
            let weights = scores.map { Foundation.exp($0) }
            let total = weights.reduce(0, +)
            for column in 0..<d {
                let expected = (0...i).reduce(Float(0)) { $0 + weights[$1] / total * v[0, 0, $1, column] }
                #expect(abs(output[0, 0, i, column] - expected) < 1e-5)
            }
        }
    }

    @Test func gradientsAccumulateAcrossUsesAndPasses() throws {
        let x = try Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        try (x * x + x).sum().backward()   // d/dx (x² + x) = 2x + 1
        #expect(x.gradient?.scalars == [3, 5])
        try x.sum().backward()
        #expect(x.gradient?.scalars == [4, 6])
        x.zeroGradient()
        #expect(x.gradient == nil)
    }
}

@Suite struct RandomnessOfTensorsTests {
    @Test func sameSeedSameTensor() {
        #expect(Tensor.normal(shape: [100], seed: 42).scalars == Tensor.normal(shape: [100], seed: 42).scalars)
        #expect(Tensor.normal(shape: [100], seed: 42).scalars != Tensor.normal(shape: [100], seed: 43).scalars)
        #expect(Tensor.uniform(shape: [50], in: -1...1, seed: 7).scalars == Tensor.uniform(shape: [50], in: -1...1, seed: 7).scalars)
    }

    @Test func normalDrawsHaveTheRightMoments() {
        let draws = Tensor.normal(shape: [100_000], mean: 2, standardDeviation: 3, seed: 1).scalars
        let mean = draws.reduce(0, +) / Float(draws.count)
        let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(draws.count)
        #expect(abs(mean - 2) < 0.05)
        #expect(abs(variance.squareRoot() - 3) < 0.05)
        let uniform = Tensor.uniform(shape: [100_000], in: -1...3, seed: 2).scalars
        #expect(uniform.allSatisfy { (-1..<3).contains($0) })
        #expect(abs(uniform.reduce(0, +) / Float(uniform.count) - 1) < 0.02)
    }
}
