/// NumPy broadcasting: shapes are aligned on their last axes, and an axis of extent 1 (or a
/// missing leading axis) is repeated to match the other operand.
enum Broadcasting {
    /// The shape two operands broadcast to.
    /// - Throws: `TensorError.shapeMismatch` naming `op` and both shapes when an axis differs and neither is 1.
    static func shape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        let rank = max(a.count, b.count)
        let alignedA = [Int](repeating: 1, count: rank - a.count) + a
        let alignedB = [Int](repeating: 1, count: rank - b.count) + b
        return try (0..<rank).map { axis in
            let (x, y) = (alignedA[axis], alignedB[axis])
            guard x == y || x == 1 || y == 1 else {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [a, b],
                    reason: "axis \(axis - rank) has extents \(x) and \(y); broadcasting needs them equal or one of them 1")
            }
            return x == 1 ? y : x
        }
    }

    /// The element strides of a tensor of `shape` read as if it had `outputShape`: 0 on the axes it is repeated along.
    static func strides(of shape: [Int], broadcastTo outputShape: [Int]) -> [Int] {
        let aligned = [Int](repeating: 1, count: outputShape.count - shape.count) + shape
        var strides = [Int](repeating: 0, count: aligned.count)
        var stride = 1
        for axis in aligned.indices.reversed() {
            strides[axis] = aligned[axis] == 1 ? 0 : stride
            stride *= aligned[axis]
        }
        return strides
    }

    /// Calls `body(row, offsetA, offsetB)` for every row (the last axis) of a tensor of `shape`,
    /// where the offsets are where that row starts in two operands read with `stridesA` and `stridesB`.
    @inline(__always)
    static func forEachRow(of shape: [Int], stridesA: [Int], stridesB: [Int], _ body: (Int, Int, Int) -> Void) {
        let outerRank = max(shape.count - 1, 0)
        let rowCount = shape.dropLast().reduce(1, *)
        guard rowCount > 0, shape.last ?? 1 > 0 else { return }
        var index = [Int](repeating: 0, count: outerRank)
        var offsetA = 0, offsetB = 0
        for row in 0..<rowCount {
            body(row, offsetA, offsetB)
            var axis = outerRank - 1
            while axis >= 0 {
                index[axis] += 1
                offsetA += stridesA[axis]
                offsetB += stridesB[axis]
                if index[axis] < shape[axis] { break }
                offsetA -= stridesA[axis] * shape[axis]
                offsetB -= stridesB[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// `f(a[i], b[i])` over a tensor of `shape`, where `a` and `b` broadcast to `shape`.
    @inline(__always)
    static func combine(shape: [Int], _ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int],
                        _ f: (Float, Float) -> Float) -> [Float] {
        if aShape == bShape { return Kernels.zip(a, b, f) }
        return combine(shape: shape, g: nil, a, aShape, b, bShape) { _, x, y in f(x, y) }
    }

    /// `f(g[i], a[i], b[i])` over a tensor of `shape`, where `a` and `b` broadcast to `shape` and
    /// `g` (when given) has it; without `g`, `f` receives 0 for it. The innermost axis runs as a
    /// tight loop specialized for each operand being contiguous or repeated along it.
    @inline(__always)
    static func combine(
        shape: [Int], g: [Float]?, _ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int],
        _ f: (Float, Float, Float) -> Float
    ) -> [Float] {
        if let g, aShape == shape, bShape == shape { return Kernels.zip(g, a, b, f) }
        let count = shape.reduce(1, *)
        // One operand whole, the other repeated along leading axes only (a bias, a mask): two plain loops.
        if let period = repeatedSuffixCount(bShape, of: shape), aShape == shape {
            return a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in rowsAgainstVector(count: count, period: period, g: g) { g, i, j in f(g, a[i], b[j]) } }
            }
        }
        if let period = repeatedSuffixCount(aShape, of: shape), bShape == shape {
            return a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in rowsAgainstVector(count: count, period: period, g: g) { g, i, j in f(g, a[j], b[i]) } }
            }
        }
        let stridesA = strides(of: aShape, broadcastTo: shape)
        let stridesB = strides(of: bShape, broadcastTo: shape)
        let rowLength = shape.last ?? 1
        let (innerA, innerB) = (stridesA.last ?? 0, stridesB.last ?? 0)
        let zeros = [Float](repeating: 0, count: g == nil ? rowLength : 0)
        let gStride = g == nil ? 0 : 1
        return [Float](unsafeUninitializedCapacity: count) { output, initialized in
            (g ?? zeros).withUnsafeBufferPointer { pg in
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        forEachRow(of: shape.isEmpty ? [1] : shape, stridesA: stridesA.isEmpty ? [0] : stridesA,
                                   stridesB: stridesB.isEmpty ? [0] : stridesB) { row, offsetA, offsetB in
                            let out = output.baseAddress! + row * rowLength
                            let gRow = pg.baseAddress! + row * rowLength * gStride
                            let (x, y) = (pa.baseAddress! + offsetA, pb.baseAddress! + offsetB)
                            switch (innerA, innerB, gStride) {
                            case (1, 1, 1): for i in 0..<rowLength { out[i] = f(gRow[i], x[i], y[i]) }
                            case (1, 0, 1): for i in 0..<rowLength { out[i] = f(gRow[i], x[i], y[0]) }
                            case (0, 1, 1): for i in 0..<rowLength { out[i] = f(gRow[i], x[0], y[i]) }
                            case (1, 1, _): for i in 0..<rowLength { out[i] = f(0, x[i], y[i]) }
                            case (1, 0, _): for i in 0..<rowLength { out[i] = f(0, x[i], y[0]) }
                            case (0, 1, _): for i in 0..<rowLength { out[i] = f(0, x[0], y[i]) }
                            default: for i in 0..<rowLength { out[i] = f(gRow[i * gStride], x[0], y[0]) }
                            }
                        }
                    }
                }
            }
            initialized = count
        }
    }

    /// The element count of `operand` when it equals a suffix of `shape` after dropping leading 1s
    /// (so that it repeats along the leading axes only), or `nil`.
    static func repeatedSuffixCount(_ operand: [Int], of shape: [Int]) -> Int? {
        let trimmed = operand.drop { $0 == 1 }
        guard trimmed.count <= shape.count, Array(shape.suffix(trimmed.count)) == Array(trimmed) else { return nil }
        return trimmed.reduce(1, *)
    }

    /// `count` results `body(g[i], i, i mod period)`: a whole operand read at `i`, a repeated one at `i mod period`.
    @inline(__always)
    static func rowsAgainstVector(count: Int, period: Int, g: [Float]?, _ body: (Float, Int, Int) -> Float) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { output, initialized in
            let rows = period == 0 ? 0 : count / period
            if let g {
                g.withUnsafeBufferPointer { g in
                    for row in 0..<rows { for j in 0..<period { output[row * period + j] = body(g[row * period + j], row * period + j, j) } }
                }
            } else {
                for row in 0..<rows { for j in 0..<period { output[row * period + j] = body(0, row * period + j, j) } }
            }
            initialized = count
        }
    }

    /// `x` (of `shape`) repeated along the axes where it is broadcast to `outputShape`.
    static func expand(_ x: [Float], from shape: [Int], to outputShape: [Int]) -> [Float] {
        combine(shape: outputShape, x, shape, [0], []) { value, _ in value }
    }

    /// Sums a gradient of the broadcast `shape` back down to an operand's `targetShape`.
    static func reduce(_ gradient: [Float], from shape: [Int], to targetShape: [Int]) -> [Float] {
        if shape == targetShape { return gradient }
        if let period = repeatedSuffixCount(targetShape, of: shape) { return Kernels.columnSums(gradient, width: period) }
        let aligned = [Int](repeating: 1, count: shape.count - targetShape.count) + targetShape
        let axes = shape.indices.filter { aligned[$0] == 1 && shape[$0] != 1 }
        return Reduction.sum(gradient, shape: shape, axes: Set(axes))
    }
}
