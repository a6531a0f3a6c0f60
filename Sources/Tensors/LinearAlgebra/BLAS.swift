import CLinearAlgebra

/// The single place where Interchange multiplies matrices: row-major `cblas_sgemm`, or `cblas_sgemv`
/// when one operand is a single row or column.
enum BLAS {
    /// `C = op(A) op(B) + beta C`, with `op(A)` of shape `[m, k]`, `op(B)` of shape `[k, n]`, and
    /// every matrix stored contiguously row-major (so the leading dimensions follow from the shapes).
    ///
    /// A product with `m == 1` (one token's projection while decoding) or `n == 1` is a matrix-vector
    /// product: OpenBLAS's sgemm would first pack (copy) the whole matrix operand, which for a
    /// weight read once costs as much as the product itself, so those go to `sgemv`, which streams
    /// the matrix once. (A single row or column is contiguous whether or not it is "transposed".)
    static func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>, beta: Float = 0
    ) {
        MatrixProductCounter.recordProduct()
        MatrixProductTimer.timing(m: m, n: n, k: k) {
            product(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a, b, into: c, beta: beta)
        }
    }

    /// The BLAS call of `multiply`.
    @inline(__always)
    private static func product(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>, beta: Float
    ) {
        if m == 1 || n == 1, beta == 0 {
            // sgemv scales `c` by beta; the output may be uninitialized memory (NaN · 0 is NaN).
            c.update(repeating: 0, count: m * n)
        }
        if m == 1 {
            // c[1, n] = a[k] · op(B): op(B) = Bᵀ stored [n, k] → B a; op(B) = B stored [k, n] → Bᵀ a.
            let (rows, columns) = transposeB ? (n, k) : (k, n)
            cblas_sgemv(CblasRowMajor, transposeB ? CblasNoTrans : CblasTrans, Int32(rows), Int32(columns),
                        1, b, Int32(columns), a, 1, beta, c, 1)
            return
        }
        if n == 1 {
            // c[m] = op(A) b[k]: op(A) = A stored [m, k] → A b; op(A) = Aᵀ stored [k, m] → Aᵀ b.
            let (rows, columns) = transposeA ? (k, m) : (m, k)
            cblas_sgemv(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, Int32(rows), Int32(columns),
                        1, a, Int32(columns), b, 1, beta, c, 1)
            return
        }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), 1,
            a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), beta, c, Int32(n))
    }

    /// The number of threads OpenBLAS uses.
    static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }
}

/// Controls for the linear-algebra backend.
public enum LinearAlgebraBackend {
    /// The number of threads OpenBLAS uses for matrix products (default: the number of cores, or
    /// `OPENBLAS_NUM_THREADS`). Small matrices often run faster on one.
    public static var threadCount: Int {
        get { BLAS.threadCount }
        set { BLAS.threadCount = newValue }
    }
}
