import Foundation
import Testing
import TestSupport
@testable import Tensors

/// A finite-difference gradient check for every differentiable op (tolerances in `GradientCheck.swift`:
/// ε = 1e-2, each element within 1e-3 of the input's gradient scale and the whole gradient within
/// 1e-3 relative in the 2-norm, unless a test states otherwise).
@Suite struct GradientTests {
    @Test func addSubtractMultiplyDivideWithBroadcasting() throws {
        let a = variable([2, 3, 4], seed: 1), b = variable([3, 1], seed: 2), c = variable([4], seed: 3)
        try expectGradientsMatch(of: [a, b]) { try $0[0] + $0[1] }
        try expectGradientsMatch(of: [a, c]) { try $0[0] - $0[1] }
        try expectGradientsMatch(of: [a, b]) { try $0[0] * $0[1] }
        let denominator = Tensor.uniform(shape: [3, 1], in: 1...2, seed: 4, requiresGradient: true)
        try expectGradientsMatch(of: [a, denominator]) { try $0[0] / $0[1] }
        // Broadcasting on the left operand, and on both at once ([2, 1, 4] with [3, 1] gives [2, 3, 4]).
        try expectGradientsMatch(of: [b, a]) { try $0[0] - $0[1] }
        try expectGradientsMatch(of: [b, a]) { try $0[0] * $0[1] }
        let left = variable([2, 1, 4], seed: 60)
        try expectGradientsMatch(of: [left, b]) { try $0[0] * $0[1] }
        try expectGradientsMatch(of: [left, b]) { try $0[0] + $0[1] }
        let positiveLeft = Tensor.uniform(shape: [2, 1, 4], in: 1...2, seed: 61, requiresGradient: true)
        try expectGradientsMatch(of: [b, positiveLeft]) { try $0[0] / $0[1] }
    }

    @Test func scalarArithmetic() throws {
        try expectGradientsMatch(of: [variable([3, 2], seed: 5)]) { -(($0[0] * 3 + 1) - 2) }
    }

    @Test func activations() throws {
        // Away from ReLU's kink at 0, where the derivative is undefined.
        var shifted = variable([4, 5], seed: 6).scalars
        shifted = shifted.map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
        try expectGradientsMatch(of: [Tensor(shape: [4, 5], scalars: shifted, requiresGradient: true)]) { $0[0].relu() }
        let x = variable([4, 5], seed: 7)
        try expectGradientsMatch(of: [x]) { $0[0].sigmoid() }
        try expectGradientsMatch(of: [x]) { $0[0].tanh() }
        try expectGradientsMatch(of: [x]) { $0[0].silu() }
        try expectGradientsMatch(of: [x]) { $0[0].gelu() }
        try expectGradientsMatch(of: [x]) { $0[0].exp() }
        try expectGradientsMatch(of: [x]) { $0[0].squared() }
        let positive = Tensor.uniform(shape: [3, 3], in: 0.5...2, seed: 8, requiresGradient: true)
        try expectGradientsMatch(of: [positive]) { $0[0].log() }
        try expectGradientsMatch(of: [positive]) { $0[0].squareRoot() }
    }

    @Test func sumsAndMeans() throws {
        let x = variable([2, 3, 4], seed: 9)
        try expectGradientsMatch(of: [x]) { try $0[0].sum(alongAxes: [1]) }
        try expectGradientsMatch(of: [x]) { try $0[0].sum(alongAxes: [0, 2], keepingDimensions: true) }
        try expectGradientsMatch(of: [x]) { try $0[0].mean(alongAxes: [-1]) }
        try expectGradientsMatch(of: [x]) { $0[0].mean() }
        try expectGradientsMatch(of: [x]) { $0[0].sum() }
    }

    @Test func affineLayer() throws {
        let w = variable([5, 4], seed: 64), b = variable([5], seed: 65)
        try expectGradientsMatch(of: [variable([3, 4], seed: 66), w, b]) { try Tensor.affine($0[0], weight: $0[1], bias: $0[2]) }
        try expectGradientsMatch(of: [variable([2, 3, 4], seed: 67), w, b]) { try Tensor.affine($0[0], weight: $0[1], bias: $0[2]) }
        try expectGradientsMatch(of: [variable([1, 4], seed: 68), w, b]) { try Tensor.affine($0[0], weight: $0[1], bias: $0[2]) }
    }

    @Test func matrixProducts() throws {
        let a = variable([3, 4], seed: 10), w = variable([4, 5], seed: 11)
        try expectGradientsMatch(of: [a, w]) { try Tensor.matmul($0[0], $0[1]) }
        let batched = variable([2, 3, 4], seed: 12)
        try expectGradientsMatch(of: [batched, w]) { try Tensor.matmul($0[0], $0[1]) }
        let wT = variable([5, 4], seed: 13)
        try expectGradientsMatch(of: [batched, wT]) { try Tensor.matmul($0[0], $0[1], transposeB: true) }
        let aT = variable([2, 4, 3], seed: 14)
        try expectGradientsMatch(of: [aT, w]) { try Tensor.matmul($0[0], $0[1], transposeA: true) }
        let b = variable([2, 4, 5], seed: 15), bT = variable([2, 5, 4], seed: 16)
        try expectGradientsMatch(of: [batched, b]) { try Tensor.matmul($0[0], $0[1]) }
        try expectGradientsMatch(of: [aT, bT]) { try Tensor.matmul($0[0], $0[1], transposeA: true, transposeB: true) }
        // Batched on both sides with only the right operand transposed: attention's q kᵀ.
        let q = variable([2, 3, 4], seed: 62), k = variable([2, 5, 4], seed: 63)
        try expectGradientsMatch(of: [q, k]) { try Tensor.matmul($0[0], $0[1], transposeB: true) }
        try expectGradientsMatch(of: [q, k.detached()]) { try Tensor.matmul($0[0], $0[1], transposeB: true) }
    }

    @Test func shapeOps() throws {
        let x = variable([2, 3, 4], seed: 17)
        try expectGradientsMatch(of: [x]) { try $0[0].reshaped(to: [6, -1]) }
        try expectGradientsMatch(of: [x]) { try $0[0].permuted([2, 0, 1]) }
        try expectGradientsMatch(of: [x]) { try $0[0].transposed() }
        try expectGradientsMatch(of: [x]) { try $0[0].slice(alongAxis: 1, 1..<3) }
        let y = variable([2, 2, 4], seed: 18)
        try expectGradientsMatch(of: [x, y]) { try Tensor.concatenate([$0[0], $0[1]], alongAxis: 1) }
    }

    @Test func rowOps() throws {
        let x = variable([4, 3], seed: 19)
        try expectGradientsMatch(of: [x]) { try $0[0].gatherRows([3, 0, 3, 1]) }
        let rows = variable([2, 3], seed: 20)
        try expectGradientsMatch(of: [x, rows]) { try $0[0].scatterRows($0[1], at: [2, 0]) }
        let table = variable([5, 3], seed: 21)
        try expectGradientsMatch(of: [table]) { try Tensor.embedding([4, 1, 1, 0], shape: [2, 2], table: $0[0]) }
    }

    @Test func softmaxFamily() throws {
        let x = variable([3, 5], seed: 22)
        try expectGradientsMatch(of: [x]) { $0[0].softmax() }
        try expectGradientsMatch(of: [x]) { $0[0].logSoftmax() }
        try expectGradientsMatch(of: [x]) { try Tensor.crossEntropy(logits: $0[0], labels: [4, -100, 0]) }
    }

    @Test func normalizations() throws {
        let x = variable([3, 6], seed: 23), weight = variable([6], seed: 24), bias = variable([6], seed: 25)
        try expectGradientsMatch(of: [x, weight, bias]) { try $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        try expectGradientsMatch(of: [x, weight]) { try $0[0].rmsNorm(weight: $0[1]) }
    }

    @Test func causalAttention() throws {
        let q = variable([2, 2, 3, 4], seed: 26), k = variable([2, 2, 3, 4], seed: 27), v = variable([2, 2, 3, 5], seed: 28)
        try expectGradientsMatch(of: [q, k, v]) { try Tensor.causalAttention(query: $0[0], key: $0[1], value: $0[2]) }
        // Grouped-query heads (4 query heads share 2 key/value heads), two queries after a cached prefix of 3.
        let gq = variable([1, 4, 2, 4], seed: 29), gk = variable([1, 2, 5, 4], seed: 30), gv = variable([1, 2, 5, 3], seed: 31)
        try expectGradientsMatch(of: [gq, gk, gv]) { try Tensor.causalAttention(query: $0[0], key: $0[1], value: $0[2]) }
    }

    @Test func rotatedInterchangeAsOneOp() throws {
        // Every input needs a gradient here, so every branch of the hand-written backward is checked.
        let h = variable([4, 5], seed: 40), s1 = variable([4, 5], seed: 41), s2 = variable([4, 5], seed: 42)
        let r = variable([3, 5], seed: 43)
        let m1 = Tensor.uniform(shape: [3], in: 0...1, seed: 44, requiresGradient: true)
        let m2 = Tensor.uniform(shape: [3], in: 0...1, seed: 45, requiresGradient: true)
        try expectGradientsMatch(of: [h, r, s1, s2, m1, m2]) {
            try Tensor.rotatedInterchange(base: $0[0], sources: [$0[2], $0[3]], rotation: $0[1], masks: [$0[4], $0[5]])
        }
        // k = 3 of d = 5 takes the factored form; a full rotation (k = d = 4) the projector form.
        let square = variable([4, 4], seed: 46), hs = variable([3, 4], seed: 47), ss1 = variable([3, 4], seed: 48), ss2 = variable([3, 4], seed: 49)
        let n1 = Tensor.uniform(shape: [4], in: 0...1, seed: 50, requiresGradient: true)
        let n2 = Tensor.uniform(shape: [4], in: 0...1, seed: 51, requiresGradient: true)
        try expectGradientsMatch(of: [hs, square, ss1, ss2, n1, n2]) {
            try Tensor.rotatedInterchange(base: $0[0], sources: [$0[2], $0[3]], rotation: $0[1], masks: [$0[4], $0[5]])
        }
        // Both forms against the composition of simpler ops: h + (Σ_v m_v ⊙ ((s_v − h) Rᵀ)) R.
        for (base, sources, rotation, masks) in [(h, [s1, s2], r, [m1, m2]), (hs, [ss1, ss2], square, [n1, n2])] {
            let fused = try Tensor.rotatedInterchange(base: base, sources: sources, rotation: rotation, masks: masks)
            let composed = try base + Tensor.matmul(Tensor.matmul(sources[0] - base, rotation, transposeB: true) * masks[0]
                                                    + Tensor.matmul(sources[1] - base, rotation, transposeB: true) * masks[1], rotation)
            #expect(close(fused.scalars, composed.scalars, tolerance: 1e-5))
        }
    }

    @Test func rotatedInterchangeTrainingOnlyTheRotation() throws {
        // As DAS runs it: frozen representations and fixed 0/1 masks, gradients to R alone, in both forms.
        for (rows, k, d, seed) in [(6, 3, 5, UInt64(70)), (5, 4, 4, 80)] {
            let h = Tensor.normal(shape: [rows, d], seed: seed), s1 = Tensor.normal(shape: [rows, d], seed: seed + 1)
            let s2 = Tensor.normal(shape: [rows, d], seed: seed + 2)
            let r = try Rotation(rank: k, dimension: d, seed: seed + 3).matrix
            let first = Tensor((0..<k).map { $0 < k / 2 ? 1 : 0 }), second = Tensor((0..<k).map { $0 < k / 2 ? 0 : 1 })
            try expectGradientsMatch(of: [r]) {
                try Tensor.rotatedInterchange(base: h, sources: [s1, s2], rotation: $0[0], masks: [first, second])
            }
        }
    }

    @Test func theCheckerCatchesABackwardWrongByOnePercent() throws {
        // Forward x, backward 1.01: the detached correction keeps the value and drops out of the tape.
        func scaled(_ x: Tensor, by factor: Tensor) throws -> Tensor {
            let wrong = try x * factor
            return try wrong + (x - wrong).detached()
        }
        let x = variable([3, 4], seed: 90)
        let everywhere = Tensor.filled(1.01, shape: [3, 4])
        let (spread, _) = try gradientMismatches(of: [x]) { try scaled($0[0], by: everywhere) }
        #expect(spread.contains { $0.element == nil }, "a backward scaled by 1.01 must fail the whole-gradient test")
        // One element 1% off, where its gradient is the largest of the input.
        let weights = Tensor.normal(shape: [3, 4], seed: 99)
        let largest = weights.scalars.indices.max { abs(weights.scalars[$0]) < abs(weights.scalars[$1]) }!
        var factors = [Float](repeating: 1, count: 12)
        factors[largest] = 1.01
        let (single, _) = try gradientMismatches(of: [x]) { try scaled($0[0], by: Tensor(shape: [3, 4], scalars: factors)) }
        #expect(single.contains { $0.element == largest }, "one element wrong by 1% must fail its element test")
        // And the exact backward passes.
        let (none, checked) = try gradientMismatches(of: [x]) { try scaled($0[0], by: Tensor.filled(1, shape: [3, 4])) }
        #expect(none.isEmpty && checked == 12)
    }

    @Test func rotationRoundTrip() throws {
        let rotation = try Rotation(rank: 3, dimension: 5, seed: 32)
        let h = variable([4, 5], seed: 33)
        try expectGradientsMatch(of: [h, rotation.matrix]) { inputs in
            // h + Rᵀ(R s − R h) with s = 2h: the rotated interchange of DESIGN §5.
            let rotated = try Tensor.matmul(inputs[0], inputs[1], transposeB: true)
            return try inputs[0] + Tensor.matmul(try rotated * 2 - rotated, inputs[1])
        }
    }
}
