/// A `k x d` matrix `R` with orthonormal rows (`R Rᵀ = I`, `k ≤ d`): the learned basis of a
/// distributed interchange intervention. `R h` gives the `k` rotated coordinates of a `d`-vector
/// `h`; `Rᵀ z` maps rotated coordinates back. `k = d` is a full rotation.
///
/// Training steps on `matrix` like any parameter, then calls `retract()` once per step, which
/// puts the rows back on the set of orthonormal matrices by a QR factorization (DESIGN §6).
public final class Rotation {
    /// `R`, shape `[k, d]`; a trainable parameter (`requiresGradient` is true).
    public let matrix: Tensor

    /// `k`, the number of rotated coordinates.
    public var rank: Int { matrix.shape[0] }

    /// `d`, the dimension of the representation rotated.
    public var dimension: Int { matrix.shape[1] }

    /// A seeded random rotation, uniformly (Haar) distributed: the QR factor of a Gaussian matrix.
    /// - Throws: `TensorError.invalidArgument` unless `1 ≤ rank ≤ dimension`.
    public convenience init(rank: Int, dimension: Int, seed: UInt64) throws {
        try Rotation.validate(rank: rank, dimension: dimension)
        self.init(validMatrix: Tensor.orthogonal(rows: rank, columns: dimension, seed: seed, requiresGradient: true))
    }

    /// A rotation from given rows, which are orthonormalized (retracted) first.
    /// - Throws: `TensorError.invalidArgument` unless `matrix` is `[k, d]` with `1 ≤ k ≤ d` and finite.
    public convenience init(matrix: Tensor) throws {
        guard matrix.rank == 2 else {
            throw TensorError.invalidArgument(op: "Rotation", reason: "the matrix must be [k, d]; its shape is \(matrix.shape)")
        }
        try Rotation.validate(rank: matrix.shape[0], dimension: matrix.shape[1])
        self.init(validMatrix: Tensor(validShape: matrix.shape, scalars: matrix.scalars, requiresGradient: true))
        try retract()
    }

    private init(validMatrix: Tensor) {
        matrix = validMatrix
    }

    /// Puts the rows back onto orthonormal rows: `R ← Qᵀ` from the QR factorization `Rᵀ = Q S`
    /// with `diag(S) > 0` (LAPACK, Float64). An orthonormal `R` is left unchanged, to rounding.
    /// - Throws: `TensorError.invalidArgument` when `R` holds NaN or infinity (a diverged step).
    public func retract() throws {
        try LAPACK.orthonormalizeRows(&matrix.scalars, rows: rank, columns: dimension)
    }

    /// Replaces the accumulated gradient `G` of `R` by its projection onto the tangent space of the
    /// manifold of orthonormal rows at `R`: `G − sym(G Rᵀ) R`, with `sym(A) = (A + Aᵀ) / 2`. The part
    /// removed only stretches `R`'s rows, which the retraction undoes anyway; left in, it would
    /// inflate an adaptive optimizer's estimate of the gradient's scale.
    public func projectGradientOntoTangentSpace() {
        guard let gradient = matrix.gradient else { return }
        let (k, d) = (rank, dimension)
        var symmetric = MatrixProductShape.rows(k, k, d).multiply(gradient.scalars, matrix.scalars)
        for i in 0..<k {
            for j in i..<k {
                let mean = (symmetric[i * k + j] + symmetric[j * k + i]) / 2
                (symmetric[i * k + j], symmetric[j * k + i]) = (mean, mean)
            }
        }
        var projected = gradient.scalars
        Kernels.subtract(MatrixProductShape.rows(k, d, k, transposeB: false).multiply(symmetric, matrix.scalars), from: &projected)
        matrix.gradient = Tensor(validShape: gradient.shape, scalars: projected)
    }

    /// `max |R Rᵀ − I|`, computed in Float64: 0 for exactly orthonormal rows.
    public var orthonormalityError: Float {
        LAPACK.orthonormalityError(matrix.scalars, rows: rank, columns: dimension)
    }

    /// The rotated coordinates `h Rᵀ` of rows `h` of shape `[..., d]`: shape `[..., k]`.
    /// - Throws: `TensorError.shapeMismatch` when the last axis of `h` is not `d`.
    public func rotate(_ h: Tensor) throws -> Tensor {
        try Tensor.matmul(h, matrix, transposeB: true)
    }

    /// Rows `z` of rotated coordinates mapped back, `z R`: shape `[..., k]` to `[..., d]`.
    /// - Throws: `TensorError.shapeMismatch` when the last axis of `z` is not `k`.
    public func unrotate(_ z: Tensor) throws -> Tensor {
        try Tensor.matmul(z, matrix)
    }

    private static func validate(rank: Int, dimension: Int) throws {
        guard rank >= 1, rank <= dimension else {
            throw TensorError.invalidArgument(op: "Rotation", reason: "needs 1 ≤ k ≤ d rows of dimension d; got k = \(rank), d = \(dimension)")
        }
    }
}
