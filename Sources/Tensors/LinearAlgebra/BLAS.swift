import CLinearAlgebra

/// The single place where Interchange multiplies matrices: row-major `cblas_sgemm`.
enum BLAS {
    /// `C = op(A) op(B) + beta C`, with `op(A)` of shape `[m, k]`, `op(B)` of shape `[k, n]`, and
    /// every matrix stored contiguously row-major (so the leading dimensions follow from the shapes).
    static func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>, beta: Float = 0
    ) {
        MatrixProductCounter.recordProduct()
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
