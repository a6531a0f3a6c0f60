import Foundation
import Testing
import TestSupport
import Tensors

/// RoPE ("rotate_half", Llama) against a direct Float64 computation, its gradient, and its errors.
@Suite struct RotaryEmbeddingTests {
    /// Llama's inverse frequencies `θ_base^(−2i / headDim)`.
    static func inverseFrequencies(headDim: Int, base: Double = 10_000) -> [Float] {
        (0..<(headDim / 2)).map { Float(1 / Foundation.pow(base, Double(2 * $0) / Double(headDim))) }
    }

    /// `y[i] = x[i] cos − x[i+half] sin`, `y[i+half] = x[i+half] cos + x[i] sin`, element by element
    /// in Float64 (the angle is the Float32 product, the convention the op documents).
    static func direct(_ x: Tensor, positions: [Int], frequencies: [Float]) -> [Double] {
        let (batch, heads, t, headDim) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let half = headDim / 2
        var y = [Double](repeating: .nan, count: x.elementCount)
        for b in 0..<batch {
            for h in 0..<heads {
                for j in 0..<t {
                    let angles = frequencies.map { Double(Float(positions[b * t + j]) * $0) }
                    for i in 0..<half {
                        let (first, second) = (Double(x[b, h, j, i]), Double(x[b, h, j, i + half]))
                        let offset = ((b * heads + h) * t + j) * headDim
                        y[offset + i] = first * Foundation.cos(angles[i]) - second * Foundation.sin(angles[i])
                        y[offset + i + half] = second * Foundation.cos(angles[i]) + first * Foundation.sin(angles[i])
                    }
                }
            }
        }
        return y
    }

    @Test func forwardMatchesADirectFloat64Computation() throws {
        let x = Tensor.normal(shape: [2, 3, 4, 8], seed: 1)
        // Per-row positions: row 1 is left-padded by one (its positions start at 0 one step later).
        let positions = [0, 1, 2, 3, 0, 0, 1, 2]
        let frequencies = Self.inverseFrequencies(headDim: 8)
        let y = try Tensor.rotaryEmbedding(x, positions: positions, inverseFrequencies: frequencies)
        #expect(y.shape == x.shape)
        let expected = Self.direct(x, positions: positions, frequencies: frequencies)
        let worst = zip(y.scalars, expected).map { abs(Double($0) - $1) }.max()!
        #expect(worst < 1e-6, "largest difference \(worst)")
        // Position 0 is the identity; a rotation keeps each pair's length.
        #expect(close(Array(y.scalars[0..<8]), Array(x.scalars[0..<8]), tolerance: 0))
        let squaredNorm = { (t: Tensor) -> Double in t.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } }
        #expect(abs(squaredNorm(x) - squaredNorm(y)) < 1e-4)
    }

    @Test func largePositionsMatchTheFloat32AngleConvention() throws {
        let x = Tensor.normal(shape: [1, 1, 3, 4], seed: 2)
        let positions = [1000, 4095, 123_456]
        let frequencies = Self.inverseFrequencies(headDim: 4, base: 500_000)
        let y = try Tensor.rotaryEmbedding(x, positions: positions, inverseFrequencies: frequencies)
        let expected = Self.direct(x, positions: positions, frequencies: frequencies)
        #expect(zip(y.scalars, expected).allSatisfy { abs(Double($0) - $1) < 1e-5 })
    }

    @Test func gradientMatchesFiniteDifferences() throws {
        // Tolerance 1e-3 · (1 + |numeric|): the op is linear in x, so the numeric derivative is exact
        // up to Float32 rounding (~1e-5 here), and a 1% error in a derivative above 0.12 fails.
        let x = variable([2, 2, 3, 6], seed: 3)
        let positions = [3, 4, 5, 0, 1, 7]
        let frequencies = Self.inverseFrequencies(headDim: 6, base: 10)
        try expectGradientsMatch(of: [x], tolerance: 1e-3) {
            try Tensor.rotaryEmbedding($0[0], positions: positions, inverseFrequencies: frequencies)
        }
        // The backward is the inverse rotation: rotating the output's gradient back gives x's.
        let y = try Tensor.rotaryEmbedding(x, positions: positions, inverseFrequencies: frequencies)
        x.zeroGradient()
        try y.backward(seed: y.detached())
        #expect(close(try #require(x.gradient).scalars, x.scalars, tolerance: 1e-5))
    }

    @Test func badShapesAndCountsAreErrors() throws {
        let frequencies = Self.inverseFrequencies(headDim: 4)
        let odd = try #require(throws: TensorError.self) {
            try Tensor.rotaryEmbedding(Tensor.zeros(shape: [1, 1, 2, 5]), positions: [0, 1], inverseFrequencies: frequencies)
        }
        #expect(odd.description.contains("rotaryEmbedding") && odd.description.contains("5 must be even"))
        let rank = try #require(throws: TensorError.self) {
            try Tensor.rotaryEmbedding(Tensor.zeros(shape: [2, 4]), positions: [0, 1], inverseFrequencies: frequencies)
        }
        #expect(rank.description.contains("[batch, heads, positions, headDim]"))
        let x = Tensor.zeros(shape: [2, 1, 3, 4])
        let positions = try #require(throws: TensorError.self) {
            try Tensor.rotaryEmbedding(x, positions: [0, 1, 2], inverseFrequencies: frequencies)
        }
        #expect(positions.description.contains("3 positions were given") && positions.description.contains("needs 6"))
        let counts = try #require(throws: TensorError.self) {
            try Tensor.rotaryEmbedding(x, positions: [0, 1, 2, 0, 1, 2], inverseFrequencies: [1, 0.5, 0.25])
        }
        #expect(counts.description.contains("3 inverse frequencies") && counts.description.contains("needs 2"))
        let negative = try #require(throws: TensorError.self) {
            try Tensor.rotaryEmbedding(x, positions: [0, 1, 2, 0, -1, 2], inverseFrequencies: frequencies)
        }
        #expect(negative.description.contains("-1") && negative.description.contains("batch entry 1, position 1"))
    }
}
