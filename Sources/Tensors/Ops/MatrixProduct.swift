/// Matrix products, batched, through `cblas_sgemm`.
extension Tensor {
    /// The matrix product `op(a) · op(b)`, where `op` transposes the last two axes when asked.
    ///
    /// Shapes: `a` is `[batch..., m, k]` (`[batch..., k, m]` with `transposeA`), rank 2 or more;
    /// `b` is either `[k, n]`, shared by every batch entry (a weight), or `[batch..., k, n]` with the
    /// same batch axes as `a` (`[..., n, k]` with `transposeB`). The result is `[batch..., m, n]`.
    /// A shared `b` with an untransposed `a` runs as one large product over all batch rows.
    /// - Throws: `TensorError.shapeMismatch` naming `matmul` and both shapes when they do not fit.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
        let product = try MatrixProductShape(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB)
        let scalars = product.multiply(a.scalars, b.scalars)
        return result(shape: product.outputShape, scalars: scalars, inputs: [a, b]) { g in
            [a.requiresGradient ? Tensor(validShape: a.shape, scalars: product.gradientOfA(g.scalars, b.scalars)) : nil,
             b.requiresGradient ? Tensor(validShape: b.shape, scalars: product.gradientOfB(g.scalars, a.scalars)) : nil]
        }
    }

    /// A linear layer's affine map `x Wᵀ + b` as one product: the output starts as `b` in every row
    /// and sgemm accumulates `x Wᵀ` onto it (`beta = 1`), instead of a product followed by a
    /// broadcasting add, a second pass over the output.
    ///
    /// Shapes: `x` `[..., in]` (rank 2 or more), `weight` `[out, in]`, `bias` `[out]` → `[..., out]`.
    ///
    /// Backward, with `G = ∂L/∂y` viewed as `[rows, out]` and `x` as `[rows, in]`:
    /// `∂x = G W`, `∂W = Gᵀ x`, `∂b = Σ_rows G` (the bias enters every row with coefficient 1).
    /// - Throws: `TensorError.shapeMismatch` naming `affine` when the shapes do not fit.
    public static func affine(_ x: Tensor, weight: Tensor, bias: Tensor) throws -> Tensor {
        let mismatch = TensorError.shapeMismatch(op: "affine", shapes: [x.shape, weight.shape, bias.shape],
                                                 reason: "needs x [..., in], weight [out, in] and bias [out]")
        guard x.rank >= 2, weight.rank == 2 else { throw mismatch }
        let product = try MatrixProductShape(x.shape, weight.shape, transposeA: false, transposeB: true)
        guard bias.shape == [product.n] else { throw mismatch }
        let scalars = product.multiply(x.scalars, weight.scalars, ontoEveryRow: bias.scalars)
        return result(shape: product.outputShape, scalars: scalars, inputs: [x, weight, bias]) { g in
            [x.requiresGradient ? Tensor(validShape: x.shape, scalars: product.gradientOfA(g.scalars, weight.scalars)) : nil,
             weight.requiresGradient ? Tensor(validShape: weight.shape, scalars: product.gradientOfB(g.scalars, x.scalars)) : nil,
             bias.requiresGradient ? Tensor(validShape: bias.shape, scalars: Kernels.columnSums(g.scalars, width: product.n)) : nil]
        }
    }

    /// `self · other`; see `Tensor.matmul(_:_:transposeA:transposeB:)`.
    public func matmul(_ other: Tensor, transposeOther: Bool = false) throws -> Tensor {
        try Tensor.matmul(self, other, transposeB: transposeOther)
    }
}

/// The dimensions of one (batched) matrix product, and the three products of its forward and backward.
struct MatrixProductShape {
    let transposeA: Bool, transposeB: Bool
    let batchCount: Int
    let m: Int, n: Int, k: Int
    /// Whether `b` has its own matrix per batch entry (otherwise it is one shared `[k, n]` matrix).
    let batchedB: Bool
    let outputShape: [Int]

    /// One unbatched product of known sizes, `op(A) [m, k] · op(B) [k, n]`.
    init(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) {
        (self.m, self.n, self.k) = (m, n, k)
        self.transposeA = transposeA
        self.transposeB = transposeB
        batchCount = 1
        batchedB = false
        outputShape = [m, n]
    }

    init(_ aShape: [Int], _ bShape: [Int], transposeA: Bool, transposeB: Bool) throws {
        func mismatch(_ reason: String) -> TensorError {
            .shapeMismatch(op: "matmul", shapes: [aShape, bShape], reason: reason)
        }
        guard aShape.count >= 2, bShape.count >= 2 else { throw mismatch("both operands need rank 2 or more") }
        let batch = Array(aShape.dropLast(2))
        batchedB = bShape.count > 2
        guard !batchedB || Array(bShape.dropLast(2)) == batch else {
            throw mismatch("batch axes \(batch) and \(Array(bShape.dropLast(2))) differ; b must be [k, n] or share a's batch axes")
        }
        let (rowsA, columnsA) = (aShape[aShape.count - 2], aShape[aShape.count - 1])
        let (rowsB, columnsB) = (bShape[bShape.count - 2], bShape[bShape.count - 1])
        (m, k) = transposeA ? (columnsA, rowsA) : (rowsA, columnsA)
        let innerB: Int
        (innerB, n) = transposeB ? (columnsB, rowsB) : (rowsB, columnsB)
        guard k == innerB else {
            throw mismatch("inner dimensions \(k) and \(innerB) differ\(transposeA || transposeB ? " (after transposing)" : "")")
        }
        self.transposeA = transposeA
        self.transposeB = transposeB
        batchCount = batch.reduce(1, *)
        outputShape = batch + [m, n]
    }

    /// The rows of all batch entries of `a` form one matrix when `a` is not transposed.
    private var stacksRowsOfA: Bool { !batchedB && !transposeA }

    /// `op(A) · op(B)`.
    func multiply(_ a: [Float], _ b: [Float]) -> [Float] {
        produce(count: batchCount * m * n, from: a, b) { a, b, c in
            if stacksRowsOfA {
                BLAS.multiply(transposeA: false, transposeB: transposeB, m: batchCount * m, n: n, k: k, a, b, into: c)
            } else {
                for i in 0..<batchCount {
                    BLAS.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                  a + i * m * k, b + (batchedB ? i * k * n : 0), into: c + i * m * n)
                }
            }
        }
    }

    /// `op(A) · op(B) + 1 rowᵀ`: `row` (`[n]`) copied into every output row, then the product
    /// accumulated onto it. Only for a shared `B` and an untransposed `A` (a linear layer).
    func multiply(_ a: [Float], _ b: [Float], ontoEveryRow row: [Float]) -> [Float] {
        precondition(stacksRowsOfA && row.count == n, "multiply(ontoEveryRow:) needs a shared B, an untransposed A and an [n] row")
        let rows = batchCount * m
        return [Float](unsafeUninitializedCapacity: rows * n) { output, initialized in
            guard rows > 0, n > 0 else { initialized = 0; return }
            let c = output.baseAddress!
            row.withUnsafeBufferPointer { row in
                for r in 0..<rows { (c + r * n).initialize(from: row.baseAddress!, count: n) }
            }
            if k > 0 {
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        BLAS.multiply(transposeA: false, transposeB: transposeB, m: rows, n: n, k: k,
                                      a.baseAddress!, b.baseAddress!, into: c, beta: 1)
                    }
                }
            }
            initialized = rows * n
        }
    }

    /// `∂L/∂A` from `∂L/∂C`: `dC · op(B)ᵀ`, or `op(B) · dCᵀ` when `A` is stored transposed.
    func gradientOfA(_ dC: [Float], _ b: [Float]) -> [Float] {
        produce(count: batchCount * m * k, from: dC, b) { dC, b, dA in
            if stacksRowsOfA {
                BLAS.multiply(transposeA: false, transposeB: !transposeB, m: batchCount * m, n: k, k: n, dC, b, into: dA)
                return
            }
            for i in 0..<batchCount {
                let (dCi, bi, dAi) = (dC + i * m * n, b + (batchedB ? i * k * n : 0), dA + i * m * k)
                if transposeA {
                    BLAS.multiply(transposeA: transposeB, transposeB: true, m: k, n: m, k: n, bi, dCi, into: dAi)
                } else {
                    BLAS.multiply(transposeA: false, transposeB: !transposeB, m: m, n: k, k: n, dCi, bi, into: dAi)
                }
            }
        }
    }

    /// `∂L/∂B` from `∂L/∂C`: `op(A)ᵀ · dC` (or `dCᵀ · op(A)` when `B` is stored transposed),
    /// summed over the batch when `B` is shared.
    func gradientOfB(_ dC: [Float], _ a: [Float]) -> [Float] {
        produce(count: (batchedB ? batchCount : 1) * k * n, from: dC, a) { dC, a, dB in
            let (count, rows) = stacksRowsOfA ? (1, batchCount * m) : (batchCount, m)
            for i in 0..<count {
                let (dCi, ai) = (dC + i * rows * n, a + i * rows * k)
                let dBi = dB + (batchedB ? i * k * n : 0)
                let beta: Float = batchedB || i == 0 ? 0 : 1
                if transposeB {
                    BLAS.multiply(transposeA: true, transposeB: transposeA, m: n, n: k, k: rows, dCi, ai, into: dBi, beta: beta)
                } else {
                    BLAS.multiply(transposeA: !transposeA, transposeB: false, m: k, n: n, k: rows, ai, dCi, into: dBi, beta: beta)
                }
            }
        }
    }

    /// An array of `count` elements that `body` writes, given pointers to the two operands and to
    /// the output; a product with an empty dimension is all zeros.
    private func produce(
        count: Int, from x: [Float], _ y: [Float],
        _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> [Float] {
        guard count > 0 else { return [] }
        guard m > 0, n > 0, k > 0 else { return [Float](repeating: 0, count: count) }
        return [Float](unsafeUninitializedCapacity: count) { output, initialized in
            x.withUnsafeBufferPointer { x in
                y.withUnsafeBufferPointer { y in
                    body(x.baseAddress!, y.baseAddress!, output.baseAddress!)
                }
            }
            initialized = count
        }
    }
}
