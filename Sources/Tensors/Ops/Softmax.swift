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
        if let bad = labels.first(where: { $0 != ignoreIndex && !(0..<classes).contains($0) }) {
            throw TensorError.indexOutOfRange(op: "crossEntropy", index: bad, validRange: 0..<classes)
        }
        let counted = labels.reduce(0) { $0 + ($1 == ignoreIndex ? 0 : 1) }
        let scale = 1 / Float(max(counted, 1))
        // One pass per row gives the probabilities and the row's −log p(label) (rows may run on two
        // threads, so each writes its own slot; the sum then runs in row order, the same every run).
        var rowLosses = [Double](repeating: 0, count: labels.count)
        let probabilities = rowLosses.withUnsafeMutableBufferPointer { rowLosses in
            let rowLosses = rowLosses.baseAddress
            return Kernels.mapRows(logits.scalars, rowLength: classes) { row, input, output in
                let logPartition = Kernels.softmax(input, into: output)
                if labels[row] != ignoreIndex { rowLosses![row] = Double(logPartition - input[labels[row]]) }
            }
        }
        let loss = rowLosses.reduce(0, +)
        return result(shape: [], scalars: [Float(loss) * scale], inputs: [logits]) { g in
            // d loss / d logits = (softmax − one-hot) / counted, zero on ignored rows
            let factor = g.scalars[0] * scale
            let gradient = Kernels.mapRows(probabilities, rowLength: classes) { row, p, out in
                guard labels[row] != ignoreIndex else {
                    for j in 0..<classes { out[j] = 0 }
                    return
                }
                for j in 0..<classes { out[j] = p[j] * factor }
                out[labels[row]] -= factor
            }
            return [Tensor(validShape: logits.shape, scalars: gradient)]
        }
    }
}
