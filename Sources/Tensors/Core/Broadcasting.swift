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

    /// `f(g[i], a[i], b[i])` over a tensor of `shape`, where `a` and `b` broadcast to `shape`
    /// and `g` has it (pass `nil` for `g` to get `f(0, a, b)`, the forward pass of a binary op).
    @inline(__always)
    static func combine(
        shape: [Int], g: [Float]?, _ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int],
        _ f: (Float, Float, Float) -> Float
    ) -> [Float] {
        let count = shape.reduce(1, *)
        let stridesA = strides(of: aShape, broadcastTo: shape)
        let stridesB = strides(of: bShape, broadcastTo: shape)
        let rowLength = shape.last ?? 1
        let innerA = stridesA.last ?? 0, innerB = stridesB.last ?? 0
        let none = [Float](repeating: 0, count: g == nil ? rowLength : 0)
        return [Float](unsafeUninitializedCapacity: count) { output, initialized in
            (g ?? none).withUnsafeBufferPointer { pg in
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        forEachRow(of: shape.isEmpty ? [1] : shape, stridesA: stridesA.isEmpty ? [0] : stridesA,
                                   stridesB: stridesB.isEmpty ? [0] : stridesB) { row, offsetA, offsetB in
                            let start = row * rowLength
                            let gStart = g == nil ? 0 : start
                            for i in 0..<rowLength {
                                output[start + i] = f(pg[gStart + i], pa[offsetA + i * innerA], pb[offsetB + i * innerB])
                            }
                        }
                    }
                }
            }
            initialized = count
        }
    }

    /// `x` (of `shape`) repeated along the axes where it is broadcast to `outputShape`.
    static func expand(_ x: [Float], from shape: [Int], to outputShape: [Int]) -> [Float] {
        combine(shape: outputShape, g: nil, x, shape, [0], [], { _, value, _ in value })
    }

    /// Sums a gradient of the broadcast `shape` back down to an operand's `targetShape`.
    static func reduce(_ gradient: [Float], from shape: [Int], to targetShape: [Int]) -> [Float] {
        if shape == targetShape { return gradient }
        let aligned = [Int](repeating: 1, count: shape.count - targetShape.count) + targetShape
        let axes = shape.indices.filter { aligned[$0] == 1 && shape[$0] != 1 }
        return Reduction.sum(gradient, shape: shape, axes: Set(axes))
    }
}
