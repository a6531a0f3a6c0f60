/// Layer norm and RMS norm over the last axis.
extension Tensor {
    /// Layer normalization: `(x − mean) / √(variance + epsilon) · weight + bias` over the last axis
    /// (biased variance, as in PyTorch); `weight` and `bias` have shape `[d]`.
    /// - Throws: `TensorError.shapeMismatch` naming `layerNorm` when `weight` or `bias` is not `[d]`.
    public func layerNorm(weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) throws -> Tensor {
        let d = shape.last ?? 0
        guard weight.shape == [d], bias.shape == [d] else {
            throw TensorError.shapeMismatch(op: "layerNorm", shapes: [shape, weight.shape, bias.shape], reason: "weight and bias must be [\(d)]")
        }
        var inverseDeviations = [Float](repeating: 0, count: d == 0 ? 0 : elementCount / d)
        let normalized = Kernels.mapRows(scalars, rowLength: d) { row, x, out in
            let mean = Kernels.sum(x) / Float(d)
            for i in 0..<d { out[i] = x[i] - mean }
            let variance = Kernels.dot(UnsafeBufferPointer(out), UnsafeBufferPointer(out)) / Float(d)
            let inverse = 1 / (variance + epsilon).squareRoot()
            inverseDeviations[row] = inverse
            for i in 0..<d { out[i] *= inverse }
        }
        let output = Kernels.mapRows(normalized, rowLength: d) { _, x, out in
            for i in 0..<d { out[i] = x[i] * weight.scalars[i] + bias.scalars[i] }
        }
        return Tensor.result(shape: shape, scalars: output, inputs: [self, weight, bias]) { [shape] g in
            // With x̂ the normalized input and ĝ = g ⊙ weight:
            // dx = (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) / σ, dweight = Σ g ⊙ x̂, dbias = Σ g.
            let dx: Tensor? = self.requiresGradient ? Tensor(validShape: shape, scalars: Kernels.mapRows(g.scalars, rowLength: d) { row, gRow, out in
                normalized.withUnsafeBufferPointer { all in
                    let xhat = UnsafeBufferPointer(rebasing: all[(row * d)..<((row + 1) * d)])
                    for i in 0..<d { out[i] = gRow[i] * weight.scalars[i] }
                    let meanG = Kernels.sum(UnsafeBufferPointer(out)) / Float(d)
                    let meanGX = Kernels.dot(UnsafeBufferPointer(out), xhat) / Float(d)
                    for i in 0..<d { out[i] = (out[i] - meanG - xhat[i] * meanGX) * inverseDeviations[row] }
                }
            }) : nil
            return [dx, weight.requiresGradient ? Tensor.columnSums(Kernels.zip(g.scalars, normalized, *), width: d) : nil,
                    bias.requiresGradient ? Tensor.columnSums(g.scalars, width: d) : nil]
        }
    }

    /// RMS normalization (Llama): `x / √(mean(x²) + epsilon) · weight` over the last axis; `weight` is `[d]`.
    /// - Throws: `TensorError.shapeMismatch` naming `rmsNorm` when `weight` is not `[d]`.
    public func rmsNorm(weight: Tensor, epsilon: Float = 1e-6) throws -> Tensor {
        let d = shape.last ?? 0
        guard weight.shape == [d] else {
            throw TensorError.shapeMismatch(op: "rmsNorm", shapes: [shape, weight.shape], reason: "weight must be [\(d)]")
        }
        var inverseRoots = [Float](repeating: 0, count: d == 0 ? 0 : elementCount / d)
        let normalized = Kernels.mapRows(scalars, rowLength: d) { row, x, out in
            let inverse = 1 / (Kernels.dot(x, x) / Float(d) + epsilon).squareRoot()
            inverseRoots[row] = inverse
            for i in 0..<d { out[i] = x[i] * inverse }
        }
        let output = Kernels.mapRows(normalized, rowLength: d) { _, x, out in
            for i in 0..<d { out[i] = x[i] * weight.scalars[i] }
        }
        return Tensor.result(shape: shape, scalars: output, inputs: [self, weight]) { [shape] g in
            // With x̂ = x / r and ĝ = g ⊙ weight: dx = (ĝ − x̂ · mean(ĝ ⊙ x̂)) / r, dweight = Σ g ⊙ x̂.
            let dx: Tensor? = self.requiresGradient ? Tensor(validShape: shape, scalars: Kernels.mapRows(g.scalars, rowLength: d) { row, gRow, out in
                normalized.withUnsafeBufferPointer { all in
                    let xhat = UnsafeBufferPointer(rebasing: all[(row * d)..<((row + 1) * d)])
                    for i in 0..<d { out[i] = gRow[i] * weight.scalars[i] }
                    let meanGX = Kernels.dot(UnsafeBufferPointer(out), xhat) / Float(d)
                    for i in 0..<d { out[i] = (out[i] - xhat[i] * meanGX) * inverseRoots[row] }
                }
            }) : nil
            return [dx, weight.requiresGradient ? Tensor.columnSums(Kernels.zip(g.scalars, normalized, *), width: d) : nil]
        }
    }

    /// The sums of the columns of `x` read as rows of `width`: a `[width]` tensor.
    static func columnSums(_ x: [Float], width: Int) -> Tensor {
        Tensor(validShape: [width], scalars: Reduction.sum(x, shape: [width == 0 ? 0 : x.count / width, width], axes: [0]))
    }
}
