import Foundation
import Testing
import TestSupport
import Tensors

/// Causal attention over left-padded batches (`firstValidKey`).
@Suite struct PaddedAttentionTests {
    /// `[1, heads, n, d]` rows `range` of a `[1, heads, total, d]` tensor, along the positions axis.
    static func positions(_ x: Tensor, _ range: Range<Int>) throws -> Tensor {
        try x.slice(alongAxis: 2, range)
    }

    @Test func aLeftPaddedRowEqualsTheSequenceRunAlone() throws {
        // Batch of 2, 5 positions: row 0 is 2 pads then 3 real tokens, row 1 is 5 real tokens.
        // Grouped-query heads (4 query heads, 2 key/value heads).
        let (heads, kvHeads, s, d) = (4, 2, 5, 3)
        let q = Tensor.normal(shape: [2, heads, s, d], seed: 1)
        let k = Tensor.normal(shape: [2, kvHeads, s, d], seed: 2)
        let v = Tensor.normal(shape: [2, kvHeads, s, d], seed: 3)
        // Pads hold large garbage: masking must not let it leak into real positions.
        for tensor in [q, k, v] {
            let width = tensor.shape[3]
            for h in 0..<tensor.shape[1] {
                for p in 0..<2 {
                    for i in 0..<width { tensor.scalars[(h * s + p) * width + i] = 1000 * Float(i + 1) }
                }
            }
        }
        let padded = try Tensor.causalAttention(query: q, key: k, value: v, firstValidKey: [2, 0])

        let alone = try Tensor.causalAttention(
            query: Self.positions(q.slice(alongAxis: 0, 0..<1), 2..<5),
            key: Self.positions(k.slice(alongAxis: 0, 0..<1), 2..<5),
            value: Self.positions(v.slice(alongAxis: 0, 0..<1), 2..<5))
        let real = try Self.positions(padded.slice(alongAxis: 0, 0..<1), 2..<5)
        #expect(close(real.scalars, alone.scalars, tolerance: 1e-5))
        // Padding queries see no key: zeros.
        #expect(try Self.positions(padded.slice(alongAxis: 0, 0..<1), 0..<2).scalars.allSatisfy { $0 == 0 })
        // The unpadded row is exactly what it was without padding information.
        let unpadded = try Tensor.causalAttention(query: q, key: k, value: v)
        #expect(try padded.slice(alongAxis: 0, 1..<2).scalars == unpadded.slice(alongAxis: 0, 1..<2).scalars)
        // nil is today's behaviour, and all-zero firstValidKey is the same.
        #expect(try Tensor.causalAttention(query: q, key: k, value: v, firstValidKey: [0, 0]).scalars == unpadded.scalars)
    }

    @Test func paddingWithACachedPrefix() throws {
        // Two queries after a prefix of 4 keys (s = 6): row 0 has 3 pads. Against a direct Float64 computation.
        let q = Tensor.normal(shape: [2, 1, 2, 4], seed: 4), k = Tensor.normal(shape: [2, 1, 6, 4], seed: 5)
        let v = Tensor.normal(shape: [2, 1, 6, 2], seed: 6)
        let first = [3, 1]
        let out = try Tensor.causalAttention(query: q, key: k, value: v, firstValidKey: first)
        for b in 0..<2 {
            for i in 0..<2 {
                let visible = first[b]...(i + 4)
                let scores = visible.map { j in (0..<4).reduce(0.0) { $0 + Double(q[b, 0, i, $1]) * Double(k[b, 0, j, $1]) } / 2 }
                let largest = scores.max()!
                let weights = scores.map { Foundation.exp($0 - largest) }
                let total = weights.reduce(0, +)
                for c in 0..<2 {
                    let expected = zip(visible, weights).reduce(0.0) { $0 + $1.1 / total * Double(v[b, 0, $1.0, c]) }
                    #expect(abs(Double(out[b, 0, i, c]) - expected) < 1e-5)
                }
            }
        }
    }

    @Test func gradientWithPadding() throws {
        // Row 0: 2 pads of 4 (two padding queries with no visible key); row 1: 1 pad; 2 heads over 1 kv head.
        let q = variable([2, 2, 4, 3], seed: 7), k = variable([2, 1, 4, 3], seed: 8), v = variable([2, 1, 4, 2], seed: 9)
        try expectGradientsMatch(of: [q, k, v], tolerance: 1e-3) {
            try Tensor.causalAttention(query: $0[0], key: $0[1], value: $0[2], firstValidKey: [2, 1])
        }
        // Nothing reaches padded keys and values, nor padding queries.
        for tensor in [q, k, v] { tensor.zeroGradient() }
        try Tensor.causalAttention(query: q, key: k, value: v, firstValidKey: [2, 1]).sum().backward()
        let (dq, dk, dv) = try (#require(q.gradient), #require(k.gradient), #require(v.gradient))
        #expect(try dk.slice(alongAxis: 0, 0..<1).slice(alongAxis: 2, 0..<2).scalars.allSatisfy { $0 == 0 })
        #expect(try dv.slice(alongAxis: 0, 0..<1).slice(alongAxis: 2, 0..<2).scalars.allSatisfy { $0 == 0 })
        #expect(try dq.slice(alongAxis: 0, 0..<1).slice(alongAxis: 2, 0..<2).scalars.allSatisfy { $0 == 0 })
        #expect(try dv.slice(alongAxis: 0, 0..<1).slice(alongAxis: 2, 2..<4).scalars.contains { $0 != 0 })
    }

    @Test func firstValidKeyOutOfRangeIsAnError() throws {
        let q = Tensor.zeros(shape: [2, 1, 3, 2]), k = Tensor.zeros(shape: [2, 1, 3, 2]), v = Tensor.zeros(shape: [2, 1, 3, 2])
        let high = try #require(throws: TensorError.self) { try Tensor.causalAttention(query: q, key: k, value: v, firstValidKey: [0, 4]) }
        #expect(high.description.contains("firstValidKey[1] = 4") && high.description.contains("0...3"))
        let negative = try #require(throws: TensorError.self) { try Tensor.causalAttention(query: q, key: k, value: v, firstValidKey: [-1, 0]) }
        #expect(negative.description.contains("firstValidKey[0] = -1"))
        let count = try #require(throws: TensorError.self) { try Tensor.causalAttention(query: q, key: k, value: v, firstValidKey: [0]) }
        #expect(count.description.contains("1 indices") && count.description.contains("2 entries"))
        // A row that is all padding is allowed: every query outputs zeros.
        let ones = Tensor.ones(shape: [2, 1, 3, 2])
        let empty = try Tensor.causalAttention(query: ones, key: ones, value: ones, firstValidKey: [3, 0])
        #expect(empty.scalars[0..<6].allSatisfy { $0 == 0 } && empty.scalars[6..<12].allSatisfy { $0 == 1 })
    }
}
