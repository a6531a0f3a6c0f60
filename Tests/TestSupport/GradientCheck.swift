import Testing
import Tensors

/// Compares the tape's gradients with central finite differences.
///
/// The function's output is reduced to a scalar `L = Σ out ⊙ W` with a fixed random `W`, so every
/// output element matters. For each element `x` of each input that requires a gradient, the numeric
/// derivative is `(L(x + ε) − L(x − ε)) / 2ε` with `L` accumulated in Float64. Float32 forward passes
/// round at about 1e-7 relative, which with ε = 1e-2 gives a numeric error near 1e-4; the check
/// passes when `|analytic − numeric| ≤ tolerance · (1 + |numeric|)`.
public func expectGradientsMatch(
    of inputs: [Tensor], epsilon: Float = 1e-2, tolerance: Float = 1e-2,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ function: ([Tensor]) throws -> Tensor
) throws {
    let output = try function(inputs)
    let weights = Tensor.normal(shape: output.shape, seed: 99)
    func loss() throws -> Double {
        let out = try function(inputs)
        return zip(out.scalars, weights.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    for input in inputs { input.zeroGradient() }
    try (output * weights).sum().backward()
    var checked = 0
    for (inputIndex, input) in inputs.enumerated() where input.requiresGradient {
        let analytic = try #require(input.gradient, "input \(inputIndex) received no gradient", sourceLocation: sourceLocation)
        #expect(analytic.shape == input.shape, sourceLocation: sourceLocation)
        for element in 0..<input.elementCount {
            let original = input.scalars[element]
            input.scalars[element] = original + epsilon
            let above = try loss()
            input.scalars[element] = original - epsilon
            let below = try loss()
            input.scalars[element] = original
            let numeric = Float((above - below) / (2 * Double(epsilon)))
            let difference = abs(analytic.scalars[element] - numeric)
            #expect(difference <= tolerance * (1 + abs(numeric)),
                    "input \(inputIndex), element \(element): analytic \(analytic.scalars[element]) vs numeric \(numeric)",
                    sourceLocation: sourceLocation)
            checked += 1
        }
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
