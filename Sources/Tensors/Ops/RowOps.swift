/// Ops on rows: the slices along the first axis (a row of `[n, d]` is a vector of `d`; a row of
/// `[n, t, d]` is a `[t, d]` matrix).
extension Tensor {
    /// The rows at `indices`, in that order (repeats allowed): shape `[indices.count, rest...]`.
    /// The gradient adds back into each row as many times as it was taken.
    /// - Throws: `TensorError.indexOutOfRange` naming `gatherRows` for an index outside `0..<shape[0]`.
    public func gatherRows(_ indices: [Int]) throws -> Tensor {
        guard rank >= 1 else { throw TensorError.invalidShape(op: "gatherRows", shape: shape, reason: "needs rank 1 or more") }
        try Tensor.validate(indices, below: shape[0], op: "gatherRows")
        let rowSize = shape.dropFirst().reduce(1, *)
        let output = Tensor.copyRows(of: scalars, rowSize: rowSize, indices)
        return Tensor.result(shape: [indices.count] + shape.dropFirst(), scalars: output, inputs: [self]) { [shape] g in
            var gradient = [Float](repeating: 0, count: shape.reduce(1, *))
            Tensor.addRows(g.scalars, rowSize: rowSize, into: &gradient, at: indices)
            return [Tensor(validShape: shape, scalars: gradient)]
        }
    }

    /// `self` with the rows at `indices` replaced by the rows of `rows` (`[indices.count, rest...]`).
    /// Gradients: `self` receives the incoming gradient except at the replaced rows; `rows` receives
    /// the incoming gradient at them.
    /// - Throws: `TensorError.shapeMismatch` naming `scatterRows` when the row shapes differ,
    ///   `TensorError.indexOutOfRange` for an index outside `0..<shape[0]`, and
    ///   `TensorError.invalidArgument` for a repeated index (which row would win is ambiguous).
    public func scatterRows(_ rows: Tensor, at indices: [Int]) throws -> Tensor {
        guard rank >= 1, rows.shape == [indices.count] + shape.dropFirst() else {
            throw TensorError.shapeMismatch(op: "scatterRows", shapes: [shape, rows.shape],
                                            reason: "the rows must have shape [\(indices.count)] + \(Array(shape.dropFirst())) for \(indices.count) indices")
        }
        try Tensor.validate(indices, below: shape[0], op: "scatterRows")
        guard Set(indices).count == indices.count else {
            throw TensorError.invalidArgument(op: "scatterRows", reason: "indices \(indices) repeat a row")
        }
        let rowSize = shape.dropFirst().reduce(1, *)
        var output = scalars
        Tensor.replaceRows(of: &output, rowSize: rowSize, at: indices, with: rows.scalars)
        return Tensor.result(shape: shape, scalars: output, inputs: [self, rows]) { [shape] g in
            var kept: Tensor?
            if self.requiresGradient {
                var gradient = g.scalars
                Tensor.replaceRows(of: &gradient, rowSize: rowSize, at: indices,
                                   with: [Float](repeating: 0, count: indices.count * rowSize))
                kept = Tensor(validShape: shape, scalars: gradient)
            }
            let replaced = rows.requiresGradient
                ? Tensor(validShape: rows.shape, scalars: Tensor.copyRows(of: g.scalars, rowSize: rowSize, indices)) : nil
            return [kept, replaced]
        }
    }

    /// Embedding lookup: the rows of `table` (`[vocabulary, dim]`) at `ids`, shaped `idsShape + [dim]`.
    /// - Throws: `TensorError.invalidShape` when `ids.count` does not match `idsShape`, and
    ///   `TensorError.indexOutOfRange` naming `embedding` for an id outside the vocabulary.
    public static func embedding(_ ids: [Int], shape idsShape: [Int], table: Tensor) throws -> Tensor {
        guard table.rank == 2 else {
            throw TensorError.invalidShape(op: "embedding", shape: table.shape, reason: "the table must be [vocabulary, dim]")
        }
        guard idsShape.reduce(1, *) == ids.count else {
            throw TensorError.invalidShape(op: "embedding", shape: idsShape, reason: "\(ids.count) ids were given")
        }
        try validate(ids, below: table.shape[0], op: "embedding")
        return try table.gatherRows(ids).reshaped(to: idsShape + [table.shape[1]])
    }

    static func validate(_ indices: [Int], below bound: Int, op: String) throws {
        if let bad = indices.first(where: { !(0..<bound).contains($0) }) {
            throw TensorError.indexOutOfRange(op: op, index: bad, validRange: 0..<bound)
        }
    }

    static func copyRows(of x: [Float], rowSize: Int, _ indices: [Int]) -> [Float] {
        [Float](unsafeUninitializedCapacity: indices.count * rowSize) { output, initialized in
            x.withUnsafeBufferPointer { input in
                for (position, index) in indices.enumerated() {
                    (output.baseAddress! + position * rowSize).update(from: input.baseAddress! + index * rowSize, count: rowSize)
                }
            }
            initialized = indices.count * rowSize
        }
    }

    static func replaceRows(of x: inout [Float], rowSize: Int, at indices: [Int], with rows: [Float]) {
        for (position, index) in indices.enumerated() {
            x.replaceSubrange((index * rowSize)..<((index + 1) * rowSize),
                              with: rows[(position * rowSize)..<((position + 1) * rowSize)])
        }
    }

    static func addRows(_ rows: [Float], rowSize: Int, into x: inout [Float], at indices: [Int]) {
        x.withUnsafeMutableBufferPointer { x in
            rows.withUnsafeBufferPointer { rows in
                for (position, index) in indices.enumerated() {
                    for i in 0..<rowSize { x[index * rowSize + i] += rows[position * rowSize + i] }
                }
            }
        }
    }
}
