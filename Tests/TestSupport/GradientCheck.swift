import Testing
import Tensors

/// One gradient element the tape and the finite differences disagree on.
public struct GradientMismatch: Sendable, CustomStringConvertible {
    /// The input's index in the checked list, and the element's flat index in it (`nil` for the
    /// whole-gradient comparison).
    public var input: Int
    public var element: Int?
    public var analytic: Double
    public var numeric: Double
    /// The largest difference the check allowed.
    public var allowed: Double

    public var description: String {
        let place = element.map { "element \($0)" } ?? "whole gradient (2-norm of the difference)"
        return "input \(input), \(place): analytic \(analytic) vs numeric \(numeric), difference \(abs(analytic - numeric)) > allowed \(allowed)"
    }
}

/// The default relative tolerance of `expectGradientsMatch`: a gradient wrong by 1% (scaled by
/// 1.01, or one element off by 1% of the input's largest gradient) exceeds it tenfold.
public let defaultGradientTolerance: Float = 1e-3

/// Compares the tape's gradients with central finite differences and returns every disagreement.
///
/// The function's output is reduced to a scalar `L = Σ out ⊙ W` with a fixed random `W`, so every
/// output element matters. For each element `x` of each input that requires a gradient, the numeric
/// derivative is `(L(x + ε) − L(x − ε)) / 2ε` with `L` accumulated in Float64.
///
/// Two tests per input, with `g` the numeric gradient and `a` the analytic one:
/// - every element: `|aᵢ − gᵢ| ≤ tolerance · (|gᵢ| + ‖g‖∞)`, so an element is judged against the
///   input's own gradient scale (an absolute floor of 1 would let a 1% error on small gradients pass);
/// - the whole gradient: `‖a − g‖₂ ≤ tolerance · ‖g‖₂`, so a small error spread over every element
///   (a backward scaled by 1.01) fails even where each element's error is small.
///
/// Why 1e-3 is safe for Float32 forwards: outputs that do not depend on `x` are recomputed
/// identically and cancel exactly in `L(x + ε) − L(x − ε)`; the rest round at about 1e-7 relative,
/// which over 2ε = 0.02 gives an error near 1e-5 of the gradient's scale, and the central
/// difference's truncation error is `ε² f‴ / 6 ≈ 2e-5 f‴`. Both sit well under 1e-3.
/// - Returns: the mismatches (empty when the gradients agree) and the number of elements checked.
public func gradientMismatches(
    of inputs: [Tensor], epsilon: Float = 1e-2, tolerance: Float = defaultGradientTolerance,
    _ function: ([Tensor]) throws -> Tensor
) throws -> (mismatches: [GradientMismatch], checked: Int) {
    let output = try function(inputs)
    let weights = Tensor.normal(shape: output.shape, seed: 99)
    func loss() throws -> Double {
        let out = try function(inputs)
        return zip(out.scalars, weights.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    for input in inputs { input.zeroGradient() }
    try (output * weights).sum().backward()
    var mismatches: [GradientMismatch] = []
    var checked = 0
    for (inputIndex, input) in inputs.enumerated() where input.requiresGradient {
        guard let gradient = input.gradient, gradient.shape == input.shape else {
            mismatches.append(GradientMismatch(input: inputIndex, element: nil, analytic: .nan, numeric: .nan, allowed: 0))
            continue
        }
        let analytic = gradient.scalars.map(Double.init)
        var numeric = [Double](repeating: 0, count: input.elementCount)
        for element in 0..<input.elementCount {
            let original = input.scalars[element]
            input.scalars[element] = original + epsilon
            let above = try loss()
            input.scalars[element] = original - epsilon
            let below = try loss()
            input.scalars[element] = original
            numeric[element] = (above - below) / (2 * Double(epsilon))
            checked += 1
        }
        let tolerance = Double(tolerance)
        let scale = numeric.map(abs).max() ?? 0
        for element in numeric.indices {
            let allowed = tolerance * (abs(numeric[element]) + scale)
            if !(abs(analytic[element] - numeric[element]) <= allowed) {
                mismatches.append(GradientMismatch(input: inputIndex, element: element, analytic: analytic[element],
                                                   numeric: numeric[element], allowed: allowed))
            }
        }
        let differenceNorm = zip(analytic, numeric).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        let numericNorm = numeric.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if !(differenceNorm <= tolerance * numericNorm) {
            let analyticNorm = analytic.reduce(0) { $0 + $1 * $1 }.squareRoot()
            mismatches.append(GradientMismatch(input: inputIndex, element: nil, analytic: analyticNorm, numeric: numericNorm,
                                               allowed: tolerance * numericNorm))
        }
    }
    return (mismatches, checked)
}

/// Expects the tape's gradients to match central finite differences (see `gradientMismatches`
/// for the two tests and why the default tolerance of 1e-3 suits Float32 forwards); records one
/// issue per disagreeing element (the first 10) and per input whose whole gradient disagrees.
public func expectGradientsMatch(
    of inputs: [Tensor], epsilon: Float = 1e-2, tolerance: Float = defaultGradientTolerance,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ function: ([Tensor]) throws -> Tensor
) throws {
    let (mismatches, checked) = try gradientMismatches(of: inputs, epsilon: epsilon, tolerance: tolerance, function)
    for mismatch in mismatches.prefix(10) {
        Issue.record("gradient mismatch: \(mismatch)", sourceLocation: sourceLocation)
    }
    if mismatches.count > 10 {
        Issue.record("… and \(mismatches.count - 10) more gradient mismatches", sourceLocation: sourceLocation)
    }
    #expect(checked > 0, "no element was checked", sourceLocation: sourceLocation)
}

/// A seeded random tensor that requires a gradient.
public func variable(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    Tensor.normal(shape: shape, standardDeviation: scale, seed: seed, requiresGradient: true)
}

/// Whether two arrays agree elementwise within `tolerance`.
public func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * (1 + abs($1)) }
}
