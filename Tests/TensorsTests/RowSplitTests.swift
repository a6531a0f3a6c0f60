import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Tensors

/// Large row-wise ops split their rows over two threads (`Kernels.forEachChunk`); each row is
/// computed exactly as when the rows run on one thread. These tests run a tensor large enough to
/// split and compare it, bit for bit, with the same rows run in pieces too small to split.
@Suite struct RowSplitTests {
    @Test func chunksPartitionTheRangeOnTheirAlignment() {
        for (count, alignment, perItem) in [(1 << 17, 8, 1), ((1 << 17) + 5, 8, 1), (1000, 1, 768), (3, 1, 1 << 17), (1, 1, 1 << 20), (100, 8, 1)] {
            let ranges = RangeRecorder()
            Kernels.forEachChunk(count: count, alignment: alignment, elementsPerItem: perItem) { ranges.add($0) }
            let sorted = ranges.all.sorted { $0.lowerBound < $1.lowerBound }
            let splits = count >= 2 && count * perItem >= Kernels.parallelThreshold && BLAS.threadCount >= 2
            #expect(sorted.count == (splits ? 2 : 1), "count \(count), \(perItem) elements each")
            #expect(sorted.first?.lowerBound == 0 && sorted.last?.upperBound == count)
            if sorted.count == 2 {
                #expect(sorted[0].upperBound == sorted[1].lowerBound && sorted[0].count % alignment == 0 && !sorted[0].isEmpty)
            }
        }
    }

    /// `[256, 768]`: 196,608 elements, above the split threshold; pieces of 64 rows (49,152) are below it.
    @Test func layerNormAndRMSNormRowsAreTheSameSplitOrNot() throws {
        let (rows, width, piece) = (256, 768, 64)
        let x = Tensor.normal(shape: [rows, width], seed: 11, requiresGradient: true)
        let weight = Tensor.normal(shape: [width], seed: 12), bias = Tensor.normal(shape: [width], seed: 13)
        let upstream = Tensor.normal(shape: [rows, width], seed: 14)
        for norm: (Tensor) throws -> Tensor in [{ try $0.layerNorm(weight: weight, bias: bias) }, { try $0.rmsNorm(weight: weight) }] {
            let whole = try norm(x)
            try (whole * upstream).sum().backward()
            let (wholeOutput, wholeGradient) = (whole.scalars, x.gradient!.scalars)
            x.zeroGradient()
            for start in stride(from: 0, to: rows, by: piece) {
                let part = try Tensor(shape: [piece, width], scalars: Array(x.scalars[(start * width)..<((start + piece) * width)]),
                                      requiresGradient: true)
                let output = try norm(part)
                try (output * upstream.slice(alongAxis: 0, start..<(start + piece))).sum().backward()
                let own = (start * width)..<((start + piece) * width)
                let (sameOutput, sameGradient) = (output.scalars == Array(wholeOutput[own]), part.gradient!.scalars == Array(wholeGradient[own]))
                #expect(sameOutput && sameGradient, "rows \(start)..<\(start + piece): output equal \(sameOutput), gradient equal \(sameGradient)")
            }
        }
    }

    /// Softmax rows split or not, and the cross-entropy over rows that split against Float64:
    /// `[8, 20000]` is 160,000 elements, above the threshold; pieces of 2 rows are below it.
    @Test func softmaxRowsAreTheSameSplitOrNotAndCrossEntropyMatchesFloat64() throws {
        let (rows, classes, piece) = (8, 20_000, 2)
        let x = Tensor.normal(shape: [rows, classes], standardDeviation: 3, seed: 31, requiresGradient: true)
        let upstream = Tensor.normal(shape: [rows, classes], seed: 32)
        let whole = x.softmax()
        try (whole * upstream).sum().backward()
        for start in stride(from: 0, to: rows, by: piece) {
            let own = (start * classes)..<((start + piece) * classes)
            let part = try Tensor(shape: [piece, classes], scalars: Array(x.scalars[own]), requiresGradient: true)
            let output = part.softmax()
            try (output * upstream.slice(alongAxis: 0, start..<(start + piece))).sum().backward()
            let (sameOutput, sameGradient) = (output.scalars == Array(whole.scalars[own]), part.gradient!.scalars == Array(x.gradient!.scalars[own]))
            #expect(sameOutput && sameGradient, "rows \(start)..<\(start + piece): output equal \(sameOutput), gradient equal \(sameGradient)")
        }

        let labels = [3, -100, 19_999, 0, 7, -100, 12_345, 5]
        let loss = try Tensor.crossEntropy(logits: x, labels: labels)
        var expected = 0.0
        for (row, label) in labels.enumerated() where label != -100 {
            let values = x.scalars[(row * classes)..<((row + 1) * classes)].map(Double.init)
            let largest = values.max()!
            let logPartition = largest + Foundation.log(values.reduce(0) { $0 + Foundation.exp($1 - largest) })
            expected += logPartition - values[label]
        }
        expected /= 6
        #expect(abs(Double(loss.scalar) - expected) <= 1e-6 * abs(expected), "loss \(loss.scalar), Float64 \(expected)")
    }

    /// Attention runs its key/value heads in groups side by side when the call is large enough
    /// (`AttentionGeometry.minimumWorkToSplit`). `[2, 4, 128, 16]` queries: 2 x 4 x 128 x 128 x 16 =
    /// 2^21 multiply-adds for the scores, at the threshold; one batch entry alone has half as many
    /// and runs its heads one after another. Also with grouped-query heads (2 key/value heads for
    /// 4 query heads, whose key and value gradients add across the group) and left padding.
    @Test(arguments: [(4, false), (2, true)])
    func attentionIsTheSameSplitOrNot(keyValueHeads: Int, padded: Bool) throws {
        #expect(2 * 4 * 128 * 128 * 16 >= AttentionGeometry.minimumWorkToSplit && 4 * 128 * 128 * 16 < AttentionGeometry.minimumWorkToSplit)
        let queryShape = [2, 4, 128, 16], keyShape = [2, keyValueHeads, 128, 16]
        let (q, k, v) = (Tensor.normal(shape: queryShape, seed: 21, requiresGradient: true),
                         Tensor.normal(shape: keyShape, seed: 22, requiresGradient: true),
                         Tensor.normal(shape: keyShape, seed: 23, requiresGradient: true))
        let upstream = Tensor.normal(shape: queryShape, seed: 24)
        let firstValidKey = padded ? [0, 5] : nil
        let whole = try Tensor.causalAttention(query: q, key: k, value: v, firstValidKey: firstValidKey)
        try (whole * upstream).sum().backward()
        for entry in 0..<2 {
            let parts = try [q, k, v].map { try Tensor(shape: [1] + $0.shape.dropFirst(), scalars: $0.slice(alongAxis: 0, entry..<(entry + 1)).scalars,
                                                      requiresGradient: true) }
            let output = try Tensor.causalAttention(query: parts[0], key: parts[1], value: parts[2],
                                                    firstValidKey: firstValidKey.map { [$0[entry]] })
            try (output * upstream.slice(alongAxis: 0, entry..<(entry + 1))).sum().backward()
            func own(_ tensor: Tensor) -> Range<Int> { let half = tensor.elementCount / 2; return (entry * half)..<((entry + 1) * half) }
            let sameOutput = output.scalars == Array(whole.scalars[own(whole)])
            let sameGradients = zip(parts, [q, k, v]).map { part, full in part.gradient!.scalars == Array(full.gradient!.scalars[own(full)]) }
            #expect(sameOutput && sameGradients == [true, true, true], "entry \(entry): output equal \(sameOutput), query/key/value gradients equal \(sameGradients)")
        }
    }
}

/// The ranges `forEachChunk` handed out, gathered from both threads.
private final class RangeRecorder: Sendable {
    private let ranges = Mutex<[Range<Int>]>([])
    func add(_ range: Range<Int>) { ranges.withLock { $0.append(range) } }
    var all: [Range<Int>] { ranges.withLock { $0 } }
}
