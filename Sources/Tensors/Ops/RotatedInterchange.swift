/// The distributed interchange intervention as one op, forward and backward side by side.
extension Tensor {
    /// `h + Rᵀ Σ_v m_v ⊙ (R s_v − R h)` for rows `h` (`[n, d]`), sources `s_v` (`[n, d]` each),
    /// `R` (`[k, d]`) and masks `m_v` (`[k]` each, one per source): each source writes the rotated
    /// coordinates its mask selects. Only the gradients of inputs that need one are computed (in
    /// DAS, only `R` and any learned mask). With `D_v = s_v − h`, it is evaluated in whichever of
    /// two equal forms costs fewer `n`-row products:
    ///
    /// - factored (low rank, `V·d ≥ (V+1)·k`): `Z_v = D_v Rᵀ`, `Δ = Σ_v m_v ⊙ Z_v`, result `h + Δ R`.
    ///   Backward, with `G` the result's gradient: `dΔ = G Rᵀ`, `dR = Δᵀ G + Σ_v (m_v ⊙ dΔ)ᵀ D_v`,
    ///   `dm_v = Σ_rows dΔ ⊙ Z_v`, `ds_v = (m_v ⊙ dΔ) R`, `dh = G − Σ_v ds_v`.
    /// - projector (`k` near `d`): `P_v = Rᵀ diag(m_v) R` (`d x d`, symmetric), result `h + Σ_v D_v P_v`.
    ///   Backward: `dP_v = D_vᵀ G`, `dR = Σ_v diag(m_v) R (dP_v + dP_vᵀ)`, `dm_v = rowsum((R dP_v) ⊙ R)`,
    ///   `ds_v = G P_v`, `dh = G − Σ_v ds_v`.
    /// - Throws: `TensorError.shapeMismatch` naming `rotatedInterchange` when the shapes do not fit.
    public static func rotatedInterchange(base h: Tensor, sources: [Tensor], rotation r: Tensor, masks: [Tensor]) throws -> Tensor {
        let (k, d) = (r.shape.first ?? 0, r.shape.last ?? 0)
        guard h.rank == 2, h.shape[1] == d, r.rank == 2, sources.count == masks.count,
              sources.allSatisfy({ $0.shape == h.shape }), masks.allSatisfy({ $0.shape == [k] }) else {
            throw TensorError.shapeMismatch(op: "rotatedInterchange", shapes: [h.shape, r.shape] + sources.map(\.shape) + masks.map(\.shape),
                                            reason: "needs h [n, d], R [k, d], and as many sources [n, d] as masks [k]")
        }
        let variables = sources.count
        return variables * d < (variables + 1) * k
            ? projectedInterchange(h, sources, r, masks)
            : factoredInterchange(h, sources, r, masks)
    }

    private static func factoredInterchange(_ h: Tensor, _ sources: [Tensor], _ r: Tensor, _ masks: [Tensor]) -> Tensor {
        let (n, k, d) = (h.shape[0], r.shape[0], r.shape[1])
        let differences = sources.map { Kernels.zip($0.scalars, h.scalars, -) }
        let rotated = differences.map { MatrixProductShape.rows(n, k, d).multiply($0, r.scalars) }
        var change = [Float](repeating: 0, count: n * k)
        for (z, mask) in zip(rotated, masks) { Kernels.addScaledRows(z, by: mask.scalars, into: &change) }
        var output = MatrixProductShape.rows(n, d, k, transposeB: false).multiply(change, r.scalars)
        Kernels.add(h.scalars, into: &output)
        return result(shape: h.shape, scalars: output, inputs: [h, r] + sources + masks) { g in
            let changeGradient = MatrixProductShape.rows(n, k, d).multiply(g.scalars, r.scalars)
            var rotationGradient: [Float]?
            if r.requiresGradient {
                var total = MatrixProductShape.transposedRows(n, k, d).multiply(change, g.scalars)
                for (difference, mask) in zip(differences, masks) {
                    let masked = Kernels.scaledRows(changeGradient, by: mask.scalars)
                    Kernels.add(MatrixProductShape.transposedRows(n, k, d).multiply(masked, difference), into: &total)
                }
                rotationGradient = total
            }
            let (baseGradient, sourceGradients) = inputGradients(g, h, sources) { variable in
                MatrixProductShape.rows(n, d, k, transposeB: false).multiply(Kernels.scaledRows(changeGradient, by: masks[variable].scalars), r.scalars)
            }
            let maskGradients: [Tensor?] = zip(rotated, masks).map { z, mask in
                mask.requiresGradient ? Tensor(validShape: [k], scalars: Kernels.columnSums(Kernels.zip(changeGradient, z, *), width: k)) : nil
            }
            return [baseGradient, rotationGradient.map { Tensor(validShape: r.shape, scalars: $0) }] + sourceGradients + maskGradients
        }
    }

    private static func projectedInterchange(_ h: Tensor, _ sources: [Tensor], _ r: Tensor, _ masks: [Tensor]) -> Tensor {
        let (n, k, d) = (h.shape[0], r.shape[0], r.shape[1])
        let differences = sources.map { Kernels.zip($0.scalars, h.scalars, -) }
        let projectors = masks.map { mask in
            MatrixProductShape.transposedRows(k, d, d).multiply(Kernels.scaledRows(r.scalars, by: mask.scalars, rowsOf: d), r.scalars)
        }
        var output = h.scalars
        for (difference, projector) in zip(differences, projectors) {
            MatrixProductShape.rows(n, d, d, transposeB: false).multiply(difference, projector, accumulatingInto: &output)
        }
        return result(shape: h.shape, scalars: output, inputs: [h, r] + sources + masks) { g in
            var rotationGradient = r.requiresGradient ? [Float](repeating: 0, count: k * d) : nil
            let maskGradients: [Tensor?] = zip(differences, masks).map { difference, mask in
                guard r.requiresGradient || mask.requiresGradient else { return nil }
                let projectorGradient = MatrixProductShape.transposedRows(n, d, d).multiply(difference, g.scalars)
                let rotated = MatrixProductShape.rows(k, d, d, transposeB: false).multiply(r.scalars, projectorGradient)
                if rotationGradient != nil {
                    // dR += diag(m) R (dP + dPᵀ), the derivative of P = Rᵀ diag(m) R.
                    let transposedRotated = MatrixProductShape.rows(k, d, d).multiply(r.scalars, projectorGradient)
                    Kernels.addScaledRows(Kernels.zip(rotated, transposedRotated, +), by: mask.scalars, rowsOf: d, into: &rotationGradient!)
                }
                return mask.requiresGradient ? Tensor(validShape: [k], scalars: Kernels.rowDots(rotated, r.scalars, width: d)) : nil
            }
            let (baseGradient, sourceGradients) = inputGradients(g, h, sources) { variable in
                MatrixProductShape.rows(n, d, d, transposeB: false).multiply(g.scalars, projectors[variable])
            }
            return [baseGradient, rotationGradient.map { Tensor(validShape: r.shape, scalars: $0) }] + sourceGradients + maskGradients
        }
    }

    /// The gradients of `h` and of the sources, given `sourceGradient(v)`, source `v`'s `ds_v`
    /// (computed only when some input needs it): `dh = G − Σ_v ds_v`.
    private static func inputGradients(
        _ g: Tensor, _ h: Tensor, _ sources: [Tensor], sourceGradient: (Int) -> [Float]
    ) -> (Tensor?, [Tensor?]) {
        guard h.requiresGradient || sources.contains(where: { $0.requiresGradient }) else { return (nil, sources.map { _ in nil }) }
        var baseGradient = h.requiresGradient ? g.scalars : nil
        let gradients: [Tensor?] = sources.enumerated().map { variable, source in
            let gradient = sourceGradient(variable)
            if baseGradient != nil { Kernels.subtract(gradient, from: &baseGradient!) }
            return source.requiresGradient ? Tensor(validShape: h.shape, scalars: gradient) : nil
        }
        return (baseGradient.map { Tensor(validShape: h.shape, scalars: $0) }, gradients)
    }
}

extension MatrixProductShape {
    /// `accumulator += A · B` for this shape (no batch), through BLAS with `beta = 1`.
    func multiply(_ a: [Float], _ b: [Float], accumulatingInto accumulator: inout [Float]) {
        guard m > 0, n > 0, k > 0 else { return }
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                accumulator.withUnsafeMutableBufferPointer { c in
                    BLAS.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                  a.baseAddress!, b.baseAddress!, into: c.baseAddress!, beta: 1)
                }
            }
        }
    }

    /// `[n, inner] · [out, inner]ᵀ` (rows times a transposed weight), or `[n, inner] · [inner, out]` when `transposeB` is false.
    static func rows(_ n: Int, _ out: Int, _ inner: Int, transposeB: Bool = true) -> MatrixProductShape {
        MatrixProductShape(m: n, n: out, k: inner, transposeA: false, transposeB: transposeB)
    }

    /// `[n, k]ᵀ · [n, d]`: a sum over rows of outer products, `[k, d]`.
    static func transposedRows(_ n: Int, _ k: Int, _ d: Int) -> MatrixProductShape {
        MatrixProductShape(m: k, n: d, k: n, transposeA: true, transposeB: false)
    }
}

extension Kernels {
    /// `accumulator += x`, elementwise.
    @inline(__always)
    static func add(_ x: [Float], into accumulator: inout [Float]) {
        accumulator.withUnsafeMutableBufferPointer { a in
            x.withUnsafeBufferPointer { x in for i in 0..<a.count { a[i] += x[i] } }
        }
    }

    /// `accumulator -= x`, elementwise.
    @inline(__always)
    static func subtract(_ x: [Float], from accumulator: inout [Float]) {
        accumulator.withUnsafeMutableBufferPointer { a in
            x.withUnsafeBufferPointer { x in for i in 0..<a.count { a[i] -= x[i] } }
        }
    }

    /// `x ⊙ scale`, where `scale` has one entry per column (`rowsOf: nil`, rows of `scale.count`)
    /// or one entry per row (rows of `rowsOf` elements).
    @inline(__always)
    static func scaledRows(_ x: [Float], by scale: [Float], rowsOf rowLength: Int? = nil) -> [Float] {
        var output = [Float](repeating: 0, count: x.count)
        addScaledRows(x, by: scale, rowsOf: rowLength, into: &output)
        return output
    }

    /// `accumulator += x ⊙ scale`, with `scale` per column (`rowsOf: nil`) or per row (rows of `rowsOf`).
    @inline(__always)
    static func addScaledRows(_ x: [Float], by scale: [Float], rowsOf rowLength: Int? = nil, into accumulator: inout [Float]) {
        let width = rowLength ?? scale.count
        let perRow = rowLength != nil
        accumulator.withUnsafeMutableBufferPointer { a in
            x.withUnsafeBufferPointer { x in
                scale.withUnsafeBufferPointer { s in
                    for row in 0..<(width == 0 ? 0 : x.count / width) {
                        let offset = row * width
                        if perRow {
                            let factor = s[row]
                            for i in 0..<width { a[offset + i] += x[offset + i] * factor }
                        } else {
                            for i in 0..<width { a[offset + i] += x[offset + i] * s[i] }
                        }
                    }
                }
            }
        }
    }

    /// The dot product of each row of `x` with the same row of `y` (rows of `width`).
    @inline(__always)
    static func rowDots(_ x: [Float], _ y: [Float], width: Int) -> [Float] {
        x.withUnsafeBufferPointer { x in
            y.withUnsafeBufferPointer { y in
                (0..<(width == 0 ? 0 : x.count / width)).map { row in
                    let range = (row * width)..<((row + 1) * width)
                    return dot(UnsafeBufferPointer(rebasing: x[range]), UnsafeBufferPointer(rebasing: y[range]))
                }
            }
        }
    }

    /// The sums of the columns of `x` read as rows of `width`.
    @inline(__always)
    static func columnSums(_ x: [Float], width: Int) -> [Float] {
        var sums = [Float](repeating: 0, count: width)
        sums.withUnsafeMutableBufferPointer { s in
            x.withUnsafeBufferPointer { x in
                for row in 0..<(width == 0 ? 0 : x.count / width) {
                    let offset = row * width
                    for i in 0..<width { s[i] += x[offset + i] }
                }
            }
        }
        return sums
    }
}
