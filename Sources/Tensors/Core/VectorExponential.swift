/// `e^x` on eight lanes at once, for the elementwise kernels (GELU, SiLU) that would otherwise call
/// the scalar `expf` once per element — about a tenth of a GPT-2 forward pass.
///
/// Method (Cody–Waite range reduction and a polynomial):
///
///     e^x = 2^n · e^f,   n = round(x / ln 2),   f = x − n·ln 2 ∈ [−ln2/2, ln2/2]
///
/// `n · ln 2` is subtracted in two parts (`ln2High` has few enough significant bits that `n · ln2High`
/// is exact for |n| ≤ 128), so `f` carries no cancellation error. `e^f` is its Taylor polynomial of
/// degree 7, whose truncation error at |f| = 0.347 is `f⁸/8! ≈ 5e-9` relative — below Float's rounding
/// (6e-8), so the result is within a few ulps. `2^n` is built from its bits: `n` comes from adding
/// 1.5·2²³ (which rounds `x / ln 2` to an integer in the low mantissa bits), and `(n + 127) << 23` is
/// 2ⁿ as a Float.
///
/// Range: inputs are clamped to [−87.33, 88.37], where `n` stays in the normal exponents −126…127.
/// Above 88.37 the result is +∞ (the true value is at most 2.1 times larger than Float's maximum,
/// 3.4e38, so callers computing `1 / (1 + e^x)` lose nothing above 1e-38); below −87.33 it is 0
/// instead of a subnormal (an absolute error under 1.2e-38; e^−∞ is exactly 0). NaN stays NaN.
/// The test suite measures the error against Float64 over [−100, 100].
enum VectorExponential {
    typealias Vector = SIMD8<Float>

    static let log2e: Float = 1.442_695_04
    static let ln2High: Float = 0.693_359_375   // 355/512: 9 significant bits
    static let ln2Low: Float = -2.121_944_4e-4  // ln 2 − ln2High
    static let roundingShift: Float = 12_582_912 // 1.5 · 2²³
    static let upperLimit: Float = 88.37
    static let lowerLimit: Float = -87.33

    /// `e^x` in each lane (see the type's discussion for accuracy and range).
    @inline(__always)
    static func exp(_ x: Vector) -> Vector {
        // Clamped with masked replacement, not `clamped(lowerBound:upperBound:)`, which compiles to
        // two out-of-line calls per vector (a quarter of GELU's time).
        var clamped = x
        clamped.replace(with: lowerLimit, where: x .< lowerLimit)
        clamped.replace(with: upperLimit, where: x .> upperLimit)
        // Round x / ln 2 to the nearest integer n: adding 1.5·2²³ leaves n in the low mantissa bits.
        let shifted = clamped * log2e + roundingShift
        let n = shifted - roundingShift
        let f = (clamped - n * ln2High) - n * ln2Low
        // e^f, Taylor to degree 7 by Horner.
        var p = f * (1.0 / 40320) + 1.0 / 5040
        p = p * f + 1.0 / 720
        p = p * f + 1.0 / 120
        p = p * f + 1.0 / 24
        p = p * f + 1.0 / 6
        p = p * f + 0.5
        p = p * f + 1
        p = p * f + 1
        // 2^n from its exponent bits: the integer n is shifted's bits minus 1.5·2²³'s bits.
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- roundingShift.bitPattern.int32
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: Vector.self)
        var result = p * scale
        result.replace(with: .infinity, where: x .> upperLimit)
        result.replace(with: 0, where: x .< lowerLimit)
        result.replace(with: x, where: x .!= x)  // NaN (which the clamp lost)
        return result
    }

    /// The logistic function `1 / (1 + e^(−x))` in each lane: exact 0 below about −88, 1 above about 17.
    @inline(__always)
    static func logistic(_ x: Vector) -> Vector {
        1 / (1 + exp(-x))
    }
}

private extension UInt32 {
    var int32: Int32 { Int32(bitPattern: self) }
}
