import CLinearAlgebra

/// The QR factorization behind rotations and orthogonal initialization.
enum LAPACK {
    /// Replaces the `k` rows of the row-major `k x d` matrix `x` (`k ≤ d`) by orthonormal rows
    /// spanning the same space. With `xᵀ = Q R` the thin QR factorization
    /// (Householder, LAPACK `dgeqrf` + `dorgqr`), the new rows are `Qᵀ` with each row's sign chosen
    /// so that `R`'s diagonal is positive. That choice makes the result unique, so an already
    /// orthonormal `x` comes back unchanged (to rounding).
    ///
    /// The factorization runs in Float64: it costs little at these sizes and keeps `‖x xᵀ − I‖` at
    /// Float32 rounding even for `d` in the thousands. Row-major `x` read column-major is `xᵀ`
    /// (`d x k`), exactly the matrix to factor, so no transpose is copied.
    /// - Throws: `TensorError.invalidArgument` for non-finite entries, `TensorError.lapackFailure` when LAPACK reports one.
    static func orthonormalizeRows(_ x: inout [Float], rows k: Int, columns d: Int) throws {
        precondition(k <= d && x.count == k * d, "orthonormalizeRows: \(k) x \(d) with \(x.count) scalars")
        guard k > 0 else { return }
        guard x.allSatisfy(\.isFinite) else {
            throw TensorError.invalidArgument(op: "orthonormalizeRows", reason: "the \(k) x \(d) matrix has non-finite entries")
        }
        var a = x.map(Double.init)
        var tau = [Double](repeating: 0, count: k)
        let factorInfo = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, Int32(d), Int32(k), &a, Int32(d), &tau)
        guard factorInfo == 0 else { throw TensorError.lapackFailure(routine: "dgeqrf", info: factorInfo) }
        let signs = (0..<k).map { a[$0 * d + $0] < 0 ? -1.0 : 1.0 }
        let formInfo = LAPACKE_dorgqr(LAPACK_COL_MAJOR, Int32(d), Int32(k), Int32(k), &a, Int32(d), &tau)
        guard formInfo == 0 else { throw TensorError.lapackFailure(routine: "dorgqr", info: formInfo) }
        for row in 0..<k {
            for column in 0..<d { x[row * d + column] = Float(a[row * d + column] * signs[row]) }
        }
    }

    /// `max |x xᵀ − I|` for a row-major `k x d` matrix, computed in Float64.
    static func orthonormalityError(_ x: [Float], rows k: Int, columns d: Int) -> Float {
        let a = x.map(Double.init)
        var gram = [Double](repeating: 0, count: k * k)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(k), Int32(k), Int32(d), 1, a, Int32(d), a, Int32(d), 0, &gram, Int32(k))
        var largest = 0.0
        for i in 0..<k {
            for j in 0..<k { largest = max(largest, abs(gram[i * k + j] - (i == j ? 1 : 0))) }
        }
        return Float(largest)
    }
}
