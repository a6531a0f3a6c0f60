/// Ops that move elements without changing them: reshape, permute, slice, concatenate.
extension Tensor {
    /// The same elements under a new shape; one dimension may be `-1`, inferred from the count.
    /// - Throws: `TensorError.invalidShape` naming `reshape` when the element count would change.
    public func reshaped(to newShape: [Int]) throws -> Tensor {
        var resolved = newShape
        let known = newShape.filter { $0 != -1 }.reduce(1, *)
        if let inferred = newShape.firstIndex(of: -1) {
            guard newShape.filter({ $0 == -1 }).count == 1, known > 0, elementCount % known == 0 else {
                throw TensorError.invalidShape(op: "reshape", shape: newShape,
                                               reason: "cannot infer the -1 dimension for \(elementCount) elements of shape \(shape)")
            }
            resolved[inferred] = elementCount / known
        }
        guard resolved.allSatisfy({ $0 >= 0 }), resolved.reduce(1, *) == elementCount else {
            throw TensorError.invalidShape(op: "reshape", shape: newShape,
                                           reason: "a tensor of shape \(shape) has \(elementCount) elements")
        }
        return Tensor.result(shape: resolved, scalars: scalars, inputs: [self]) { [shape] g in
            [Tensor(validShape: shape, scalars: g.scalars)]
        }
    }

    /// The axes reordered: axis `i` of the result is axis `permutation[i]` of `self`.
    /// - Throws: `TensorError.invalidArgument` naming `permute` when `permutation` is not a permutation of the axes.
    public func permuted(_ permutation: [Int]) throws -> Tensor {
        guard permutation.sorted() == Array(0..<rank) else {
            throw TensorError.invalidArgument(op: "permute", reason: "\(permutation) is not a permutation of the axes 0..<\(rank) of shape \(shape)")
        }
        let output = Tensor.permute(scalars, shape: shape, permutation)
        var inverse = [Int](repeating: 0, count: rank)
        for (position, axis) in permutation.enumerated() { inverse[axis] = position }
        let outputShape = permutation.map { shape[$0] }
        return Tensor.result(shape: outputShape, scalars: output, inputs: [self]) { [shape] g in
            [Tensor(validShape: shape, scalars: Tensor.permute(g.scalars, shape: outputShape, inverse))]
        }
    }

    /// Two axes swapped (the matrix transpose for the last two axes by default).
    /// - Throws: `TensorError.invalidAxis` naming `transpose` for an axis the tensor does not have.
    public func transposed(_ first: Int = -2, _ second: Int = -1) throws -> Tensor {
        let (i, j) = (try normalized(axis: first, op: "transpose"), try normalized(axis: second, op: "transpose"))
        var permutation = Array(0..<rank)
        permutation.swapAt(i, j)
        return try permuted(permutation)
    }

    /// The elements `range` along `axis`.
    /// - Throws: `TensorError.invalidAxis`, or `TensorError.indexOutOfRange` naming `slice` when the range leaves the axis.
    public func slice(alongAxis axis: Int, _ range: Range<Int>) throws -> Tensor {
        let axis = try normalized(axis: axis, op: "slice")
        guard range.lowerBound >= 0, range.upperBound <= shape[axis] else {
            throw TensorError.indexOutOfRange(op: "slice", index: range.lowerBound < 0 ? range.lowerBound : range.upperBound,
                                              validRange: 0..<(shape[axis] + 1))
        }
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        var outputShape = shape
        outputShape[axis] = range.count
        var output = [Float]()
        output.reserveCapacity(outer * range.count * inner)
        for block in 0..<outer {
            let start = (block * shape[axis] + range.lowerBound) * inner
            output.append(contentsOf: scalars[start..<(start + range.count * inner)])
        }
        return Tensor.result(shape: outputShape, scalars: output, inputs: [self]) { [shape] g in
            var gradient = [Float](repeating: 0, count: outer * shape[axis] * inner)
            for block in 0..<outer {
                let start = (block * shape[axis] + range.lowerBound) * inner
                let source = block * range.count * inner
                gradient.replaceSubrange(start..<(start + range.count * inner), with: g.scalars[source..<(source + range.count * inner)])
            }
            return [Tensor(validShape: shape, scalars: gradient)]
        }
    }

    /// The tensors joined along `axis`; all other axes must agree.
    /// - Throws: `TensorError.shapeMismatch` naming `concatenate` and the shapes when they do not fit.
    public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError.invalidArgument(op: "concatenate", reason: "no tensors to join") }
        let axis = try first.normalized(axis: axis, op: "concatenate")
        for tensor in tensors where tensor.rank != first.rank
            || tensor.shape.indices.contains(where: { $0 != axis && tensor.shape[$0] != first.shape[$0] }) {
            throw TensorError.shapeMismatch(op: "concatenate", shapes: [first.shape, tensor.shape],
                                            reason: "all axes but \(axis) must agree")
        }
        let outer = first.shape[..<axis].reduce(1, *), inner = first.shape[(axis + 1)...].reduce(1, *)
        let widths = tensors.map { $0.shape[axis] * inner }
        var outputShape = first.shape
        outputShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        var output = [Float]()
        output.reserveCapacity(outer * widths.reduce(0, +))
        for block in 0..<outer {
            for (tensor, width) in zip(tensors, widths) {
                output.append(contentsOf: tensor.scalars[(block * width)..<((block + 1) * width)])
            }
        }
        let total = widths.reduce(0, +)
        return result(shape: outputShape, scalars: output, inputs: tensors) { g in
            var offset = 0
            return zip(tensors, widths).map { tensor, width in
                defer { offset += width }
                guard tensor.requiresGradient else { return nil }
                var gradient = [Float]()
                gradient.reserveCapacity(outer * width)
                for block in 0..<outer {
                    gradient.append(contentsOf: g.scalars[(block * total + offset)..<(block * total + offset + width)])
                }
                return Tensor(validShape: tensor.shape, scalars: gradient)
            }
        }
    }

    /// `x` (of `shape`) with its axes reordered by `permutation`, copied row by row of the output.
    static func permute(_ x: [Float], shape: [Int], _ permutation: [Int]) -> [Float] {
        let outputShape = permutation.map { shape[$0] }
        var inputStrides = [Int](repeating: 1, count: shape.count)
        for axis in shape.indices.dropLast().reversed() { inputStrides[axis] = inputStrides[axis + 1] * shape[axis + 1] }
        let strides = permutation.map { inputStrides[$0] }
        let rowLength = outputShape.last ?? 1
        let innerStride = strides.last ?? 1
        return [Float](unsafeUninitializedCapacity: x.count) { output, initialized in
            x.withUnsafeBufferPointer { input in
                Broadcasting.forEachRow(of: outputShape.isEmpty ? [1] : outputShape,
                                        stridesA: strides.isEmpty ? [0] : strides,
                                        stridesB: [Int](repeating: 0, count: max(strides.count, 1))) { row, offset, _ in
                    let destination = output.baseAddress! + row * rowLength, source = input.baseAddress! + offset
                    if innerStride == 1 {
                        // The last axis stays last (the head split and merge of attention): each
                        // output row is a contiguous run of the input, copied as one block.
                        destination.update(from: source, count: rowLength)
                    } else {
                        for i in 0..<rowLength { destination[i] = source[i * innerStride] }
                    }
                }
            }
            initialized = x.count
        }
    }
}
