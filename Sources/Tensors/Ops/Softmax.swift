import Foundation

/// Softmax, log-softmax and cross-entropy over the last axis.
extension Tensor {
    /// `softmax(x)_i = e^(x_i) / Σ_j e^(x_j)` over the last axis.
    public func softmax() -> Tensor {
        let d = shape.last ?? 1
        let output = Kernels.mapRows(scalars, rowLength: d) { _, row, out in Kernels.softmax(row, into: out) }
        return Tensor.result(shape: shape, scalars: output, inputs: [self]) { [shape] g in
            // dx = y ⊙ (g − Σ g ⊙ y)
            let gradient = Kernels.mapRows(g.scalars, rowLength: d) { row, gRow, out in
                output.withUnsafeBufferPointer { y in
                    let yRow = UnsafeBufferPointer(rebasing: y[(row * d)..<((row + 1) * d)])
                    let inner = Kernels.dot(gRow, yRow)
                    for i in 0..<d { out[i] = yRow[i] * (gRow[i] - inner) }
                }
            }
            return [Tensor(validShape: shape, scalars: gradient)]
        }
    }

    /// `log softmax(x)` over the last axis, computed as `x − max − log Σ e^(x − max)`.
    public func logSoftmax() -> Tensor {
        let d = shape.last ?? 1
        let output = Kernels.mapRows(scalars, rowLength: d) { _, row, out in
            let largest = row.max() ?? 0
            var total: Float = 0
            for value in row { total += Foundation.exp(value - largest) }
            let shift = largest + Foundation.log(total)
            for i in 0..<d { out[i] = row[i] - shift }
        }
        return Tensor.result(shape: shape, scalars: output, inputs: [self]) { [shape] g in
            // dx = g − softmax(x) Σ g
            let gradient = Kernels.mapRows(g.scalars, rowLength: d) { row, gRow, out in
                output.withUnsafeBufferPointer { y in
                    let total = Kernels.sum(gRow)
                    for i in 0..<d { out[i] = gRow[i] - Foundation.exp(y[row * d + i]) * total }
                }
            }
            return [Tensor(validShape: shape, scalars: gradient)]
        }
    }

    /// The mean cross-entropy between `logits` (`[n, classes]`) and integer `labels` (`n` of them),
    /// over the rows whose label is not `ignoreIndex`; a scalar. When every row is ignored the loss
    /// is 0 with a zero gradient.
    /// - Throws: `TensorError.shapeMismatch` naming `crossEntropy` when the counts differ, and
    ///   `TensorError.indexOutOfRange` for a label outside `0..<classes` that is not `ignoreIndex`.
    public static func crossEntropy(logits: Tensor, labels: [Int], ignoreIndex: Int = -100) throws -> Tensor {
        guard logits.rank == 2, logits.shape[0] == labels.count else {
            throw TensorError.shapeMismatch(op: "crossEntropy", shapes: [logits.shape, [labels.count]],
                                            reason: "logits must be [n, classes] with one label per row")
        }
        let classes = logits.shape[1]
        try validate(labels.filter { $0 != ignoreIndex }, below: classes, op: "crossEntropy")
        let counted = labels.filter { $0 != ignoreIndex }.count
        let scale = 1 / Float(max(counted, 1))
        let probabilities = Kernels.mapRows(logits.scalars, rowLength: classes) { _, row, out in Kernels.softmax(row, into: out) }
        var loss: Double = 0
        for (row, label) in labels.enumerated() where label != ignoreIndex {
            let offset = row * classes
            let largest = logits.scalars[offset..<(offset + classes)].max() ?? 0
            let total = logits.scalars[offset..<(offset + classes)].reduce(Float(0)) { $0 + Foundation.exp($1 - largest) }
            loss -= Double(logits.scalars[offset + label] - largest - Foundation.log(total))
        }
        return result(shape: [], scalars: [Float(loss) * scale], inputs: [logits]) { g in
            // d loss / d logits = (softmax − one-hot) / counted, zero on ignored rows
            var gradient = [Float](repeating: 0, count: probabilities.count)
            let factor = g.scalars[0] * scale
            for (row, label) in labels.enumerated() where label != ignoreIndex {
                for j in 0..<classes { gradient[row * classes + j] = probabilities[row * classes + j] * factor }
                gradient[row * classes + label] -= factor
            }
            return [Tensor(validShape: logits.shape, scalars: gradient)]
        }
    }
}
