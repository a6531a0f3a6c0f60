/// Sums and means over axes.
extension Tensor {
    /// The sum over `axes` (negative axes count from the end). With `keepingDimensions`, the reduced
    /// axes stay with extent 1; otherwise they are removed.
    /// - Throws: `TensorError.invalidAxis` for an axis the tensor does not have.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) throws -> Tensor {
        let reduced = try normalized(axes: axes, op: "sum")
        let keptShape = shape.indices.map { reduced.contains($0) ? 1 : shape[$0] }
        let outputShape = keepingDimensions ? keptShape : shape.indices.filter { !reduced.contains($0) }.map { shape[$0] }
        let scalars = Reduction.sum(self.scalars, shape: shape, axes: reduced)
        return Tensor.result(shape: outputShape, scalars: scalars, inputs: [self]) { [shape] g in
            [Tensor(validShape: shape, scalars: Broadcasting.expand(g.scalars, from: keptShape, to: shape))]
        }
    }

    /// The sum of all elements, as a scalar tensor.
    public func sum() -> Tensor {
        // Every axis of this tensor is valid, so this cannot throw.
        try! sum(alongAxes: Array(shape.indices))
    }

    /// The mean over `axes`; see `sum(alongAxes:keepingDimensions:)`.
    /// - Throws: `TensorError.invalidAxis` for an axis the tensor does not have.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) throws -> Tensor {
        let reduced = try normalized(axes: axes, op: "mean")
        let count = reduced.reduce(1) { $0 * shape[$1] }
        return try sum(alongAxes: axes, keepingDimensions: keepingDimensions) * (1 / Float(max(count, 1)))
    }

    /// The mean of all elements, as a scalar tensor.
    public func mean() -> Tensor {
        sum() * (1 / Float(max(elementCount, 1)))
    }

    /// `axes` as non-negative axis numbers.
    /// - Throws: `TensorError.invalidAxis` naming `op` for an axis outside `-rank..<rank`.
    func normalized(axes: [Int], op: String) throws -> Set<Int> {
        Set(try axes.map { try normalized(axis: $0, op: op) })
    }

    /// `axis` as a non-negative axis number.
    /// - Throws: `TensorError.invalidAxis` naming `op` for an axis outside `-rank..<rank`.
    func normalized(axis: Int, op: String) throws -> Int {
        guard (-rank..<rank).contains(axis) else { throw TensorError.invalidAxis(op: op, axis: axis, rank: rank) }
        return axis < 0 ? axis + rank : axis
    }
}

/// The summing loop behind `sum`, `mean` and the gradients of broadcast operands.
enum Reduction {
    /// The sum of `x` (of `shape`) over `axes`, laid out with the reduced axes kept at extent 1.
    static func sum(_ x: [Float], shape: [Int], axes: Set<Int>) -> [Float] {
        let keptShape = shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
        let outputStrides = Broadcasting.strides(of: keptShape, broadcastTo: shape)
        let rowLength = shape.last ?? 1
        let lastAxisReduced = axes.contains(shape.count - 1)
        var output = [Float](repeating: 0, count: keptShape.reduce(1, *))
        guard !x.isEmpty else { return output }
        output.withUnsafeMutableBufferPointer { out in
            x.withUnsafeBufferPointer { input in
                Broadcasting.forEachRow(of: shape.isEmpty ? [1] : shape,
                                        stridesA: outputStrides.isEmpty ? [0] : outputStrides,
                                        stridesB: [Int](repeating: 0, count: max(shape.count, 1))) { row, offset, _ in
                    let rowStart = row * rowLength
                    if lastAxisReduced {
                        out[offset] += Kernels.sum(UnsafeBufferPointer(rebasing: input[rowStart..<(rowStart + rowLength)]))
                    } else {
                        for i in 0..<rowLength { out[offset + i] += input[rowStart + i] }
                    }
                }
            }
        }
        return output
    }
}
