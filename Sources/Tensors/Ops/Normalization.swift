/// Layer norm and RMS norm over the last axis: one row-wise mechanism, centred (layer norm) or not
/// (RMS norm). Rows are independent, so large tensors split their rows over two threads.
extension Tensor {
    /// Layer normalization: `(x − mean) / √(variance + epsilon) · weight + bias` over the last axis
    /// (biased variance, as in PyTorch); `weight` and `bias` have shape `[d]`.
    /// - Throws: `TensorError.shapeMismatch` naming `layerNorm` when `weight` or `bias` is not `[d]`.
    public func layerNorm(weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) throws -> Tensor {
        let d = shape.last ?? 0
        guard weight.shape == [d], bias.shape == [d] else {
            throw TensorError.shapeMismatch(op: "layerNorm", shapes: [shape, weight.shape, bias.shape], reason: "weight and bias must be [\(d)]")
        }
        return normalizedRows(weight: weight, bias: bias, epsilon: epsilon, centred: true)
    }

    /// RMS normalization (Llama): `x / √(mean(x²) + epsilon) · weight` over the last axis; `weight` is `[d]`.
    /// - Throws: `TensorError.shapeMismatch` naming `rmsNorm` when `weight` is not `[d]`.
    public func rmsNorm(weight: Tensor, epsilon: Float = 1e-6) throws -> Tensor {
        let d = shape.last ?? 0
        guard weight.shape == [d] else {
            throw TensorError.shapeMismatch(op: "rmsNorm", shapes: [shape, weight.shape], reason: "weight must be [\(d)]")
        }
        return normalizedRows(weight: weight, bias: nil, epsilon: epsilon, centred: false)
    }

    /// Each row `x` of the last axis (length `d`) becomes `y = x̂ ⊙ weight (+ bias)` with
    ///
    ///     x̂ = (x − μ) / σ,   σ = √(mean((x − μ)²) + ε)        μ = mean(x) when centred (layer norm), else 0 (RMS norm).
    ///
    /// Backward, with `ĝ = g ⊙ weight` (a row):
    ///
    ///     dx = (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) / σ           (without the `mean(ĝ)` term when not centred)
    ///     dweight = Σ_rows g ⊙ x̂,   dbias = Σ_rows g
    ///
    /// (Differentiating x̂ = (x − μ)/σ: ∂σ/∂x_j = x̂_j / d and ∂μ/∂x_j = 1/d give
    /// `∂x̂_i/∂x_j = (δ_ij − 1/d − x̂_i x̂_j / d) / σ`; contracting with ĝ gives the line above.)
    private func normalizedRows(weight: Tensor, bias: Tensor?, epsilon: Float, centred: Bool) -> Tensor {
        let d = shape.last ?? 0
        let rows = d == 0 ? 0 : elementCount / d
        var inverseDeviations = [Float](repeating: 0, count: rows)
        // Every row of both is written below.
        var normalized = Kernels.unset(elementCount)
        var output = Kernels.unset(elementCount)
        scalars.withUnsafeBufferPointer { x in weight.scalars.withUnsafeBufferPointer { w in
        (bias?.scalars ?? []).withUnsafeBufferPointer { b in
        normalized.withUnsafeMutableBufferPointer { xhat in output.withUnsafeMutableBufferPointer { y in
        inverseDeviations.withUnsafeMutableBufferPointer { inverses in
            // (An empty array's buffer may still have a base address: whether there is a bias is `bias != nil`.)
            let (x, w, b, xhat, y, inverses) = (x.baseAddress, w.baseAddress, bias == nil ? nil : b.baseAddress, xhat.baseAddress, y.baseAddress,
                                                inverses.baseAddress)
            // Each half of the rows writes only its own rows of x̂, y and the inverse deviations.
            Kernels.forEachChunk(count: rows, alignment: 1, elementsPerItem: d) { range in
                for row in range {
                    let (xRow, xhatRow, yRow) = (x! + row * d, xhat! + row * d, y! + row * d)
                    let mean = centred ? Kernels.sum(UnsafeBufferPointer(start: xRow, count: d)) / Float(d) : 0
                    for i in 0..<d { xhatRow[i] = xRow[i] - mean }
                    let centredRow = UnsafeBufferPointer(start: UnsafePointer(xhatRow), count: d)
                    let inverse = 1 / (Kernels.dot(centredRow, centredRow) / Float(d) + epsilon).squareRoot()
                    inverses![row] = inverse
                    for i in 0..<d { xhatRow[i] *= inverse }
                    if let b { for i in 0..<d { yRow[i] = xhatRow[i] * w![i] + b[i] } }
                    else { for i in 0..<d { yRow[i] = xhatRow[i] * w![i] } }
                }
            }
        } } } } } }
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        return Tensor.result(shape: shape, scalars: output, inputs: inputs) { [shape, requiresGradient] g in
            var gradients: [Tensor?] = [nil, nil]
            if requiresGradient {
                var dx = Kernels.unset(g.scalars.count)  // every row written below
                g.scalars.withUnsafeBufferPointer { g in weight.scalars.withUnsafeBufferPointer { w in
                normalized.withUnsafeBufferPointer { xhat in inverseDeviations.withUnsafeBufferPointer { inverses in
                dx.withUnsafeMutableBufferPointer { dx in
                    let (g, w, xhat, inverses, dx) = (g.baseAddress, w.baseAddress, xhat.baseAddress, inverses.baseAddress, dx.baseAddress)
                    Kernels.forEachChunk(count: rows, alignment: 1, elementsPerItem: d) { range in
                        for row in range {
                            let (gRow, xhatRow, out) = (g! + row * d, xhat! + row * d, dx! + row * d)
                            for i in 0..<d { out[i] = gRow[i] * w![i] }
                            let gHat = UnsafeBufferPointer(start: UnsafePointer(out), count: d)
                            let meanG = centred ? Kernels.sum(gHat) / Float(d) : 0
                            let meanGX = Kernels.dot(gHat, UnsafeBufferPointer(start: xhatRow, count: d)) / Float(d)
                            let inverse = inverses![row]
                            for i in 0..<d { out[i] = (out[i] - meanG - xhatRow[i] * meanGX) * inverse }
                        }
                    }
                } } } } }
                gradients[0] = Tensor(validShape: shape, scalars: dx)
            }
            if weight.requiresGradient { gradients[1] = Tensor.columnSums(Kernels.zip(g.scalars, normalized, *), width: d) }
            if let bias { gradients.append(bias.requiresGradient ? Tensor.columnSums(g.scalars, width: d) : nil) }
            return gradients
        }
    }

    /// The sums of the columns of `x` read as rows of `width`: a `[width]` tensor.
    static func columnSums(_ x: [Float], width: Int) -> Tensor {
        Tensor(validShape: [width], scalars: Reduction.sum(x, shape: [width == 0 ? 0 : x.count / width, width], axes: [0]))
    }
}
