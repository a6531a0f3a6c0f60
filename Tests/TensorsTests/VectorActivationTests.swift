import Foundation
import Testing
import TestSupport
@testable import Tensors

/// The eight-lane exponential and the GELU / SiLU built on it, against Float64 over a wide range,
/// including array lengths that leave a partial vector and arrays long enough to split over threads.
@Suite struct VectorActivationTests {
    /// `count` evenly spaced points from `lower` to `upper`.
    func grid(_ lower: Double, _ upper: Double, count: Int) -> [Float] {
        (0..<count).map { Float(lower + (upper - lower) * Double($0) / Double(count - 1)) }
    }

    /// The largest of `|got − expected| / (|expected| + floor)` over the points.
    func worstError(_ got: [Float], _ expected: [Double], floor: Double) -> Double {
        zip(got, expected).map { abs(Double($0) - $1) / (abs($1) + floor) }.max() ?? .infinity
    }

    func exp8(_ x: [Float]) -> [Float] { Kernels.map8(x, VectorExponential.exp) }

    @Test func exponentialIsWithinAFewUlpsOverFloatsNormalRange() {
        let x = grid(-87.3, 88.3, count: 400_001)
        let error = worstError(exp8(x), x.map { Foundation.exp(Double($0)) }, floor: 0)
        // Float's rounding unit is 6e-8; a wrong coefficient or a lost ln 2 split gives 1e-5 or worse.
        #expect(error < 3e-7, "worst relative error \(error)")
    }

    @Test func exponentialAtTheEdges() {
        let values = exp8([0, 1, -1, 89, 100, .infinity, -100, -.infinity, .nan])
        #expect(values[0] == 1)
        #expect(abs(values[1] - Float(M_E)) <= 2e-7 * Float(M_E))
        #expect(abs(Double(values[2]) - exp(-1.0)) <= 2e-7 * exp(-1.0))
        #expect(values[3] == .infinity && values[4] == .infinity && values[5] == .infinity)
        #expect(values[6] == 0 && values[7] == 0)
        #expect(values[8].isNaN)
    }

    /// `0.5 x (1 + tanh(u))` as `x / (1 + e^(−2u))`: the same function, but without Float64's own
    /// cancellation in `1 + tanh(u)` for u < −18 (where that form is 0 or off by 1e14 relative).
    static func geluReference(_ x: Double) -> Double {
        let u = (2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)
        #expect(abs(x / (1 + exp(-2 * u)) - 0.5 * x * (1 + tanh(u))) <= 1e-15 * (1 + abs(x)))
        return x / (1 + exp(-2 * u))
    }

    static func siluReference(_ x: Double) -> Double { x / (1 + exp(-x)) }

    @Test func geluAndSiluMatchFloat64() throws {
        // 100_003 points: not a multiple of 8, and long enough to run as two halves on two threads.
        let x = grid(-100, 100, count: 100_003) + grid(-8, 8, count: 100_003)
        let input = try Tensor(shape: [x.count], scalars: x)
        let gelu = input.gelu().scalars, silu = input.silu().scalars
        // GELU's tail is e^(2u) with 2u computed in Float: an argument good to a few ulps, |2u| · 6e-8
        // each, is a relative error of that size in the result — Float32's conditioning, not the
        // kernel's. So the bound is 1e-6 plus 4 ulps of |2u|; below 1e-30 the error is judged absolutely.
        let c = (2 / Double.pi).squareRoot()
        var worstGELU = 0.0
        for (value, point) in zip(gelu, x) {
            let x = Double(point), expected = Self.geluReference(x)
            let argument = abs(2 * c * (x + 0.044715 * x * x * x))
            let allowed = (1e-6 + 2.4e-7 * argument) * (abs(expected) + 1e-30)
            worstGELU = max(worstGELU, abs(Double(value) - expected) / allowed)
        }
        #expect(worstGELU <= 1, "GELU worst error is \(worstGELU) times the bound")
        // Near zero, where GPT-2's activations live, the error is Float's rounding.
        let near = x.indices.filter { abs(x[$0]) <= 3 }
        let nearError = worstError(near.map { gelu[$0] }, near.map { Self.geluReference(Double(x[$0])) }, floor: 1e-30)
        #expect(nearError < 1e-6, "GELU worst relative error on [-3, 3]: \(nearError)")
        let siluError = worstError(silu, x.map { Self.siluReference(Double($0)) }, floor: 1e-30)
        #expect(siluError < 1e-6, "SiLU worst relative error \(siluError)")
    }

    @Test func derivativesMatchFloat64() throws {
        let x = grid(-12, 12, count: 9_999)
        let c = (2 / Double.pi).squareRoot()
        func geluDerivative(_ x: Double) -> Double {
            let t = tanh(c * (x + 0.044715 * x * x * x))
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
        }
        func siluDerivative(_ x: Double) -> Double {
            let s = 1 / (1 + exp(-x))
            return s * (1 + x * (1 - s))
        }
        for (name, op, reference) in [("gelu", { (t: Tensor) in t.gelu() }, geluDerivative),
                                      ("silu", { (t: Tensor) in t.silu() }, siluDerivative)] {
            let input = try Tensor(shape: [x.count], scalars: x, requiresGradient: true)
            try op(input).sum().backward()
            let gradient = try #require(input.gradient).scalars
            // The derivatives reach about 1.1 in size; errors are judged against max(|d|, 1e-3).
            let error = worstError(gradient, x.map { reference(Double($0)) }, floor: 1e-3)
            #expect(error < 1e-5, "\(name)' worst error \(error)")
        }
    }

    @Test func softmaxMatchesFloat64AtEveryRowLength() throws {
        // Lengths around the eight-lane groups (partial tails) and a long row, values spread over ±40.
        for length in [1, 2, 7, 8, 9, 15, 16, 17, 33, 1000] {
            let x = Tensor.normal(shape: [3, length], standardDeviation: 20, seed: UInt64(length))
            let probabilities = x.softmax().scalars
            for row in 0..<3 {
                let values = x.scalars[(row * length)..<((row + 1) * length)].map(Double.init)
                let largest = values.max()!
                let total = values.reduce(0) { $0 + exp($1 - largest) }
                let expected = values.map { exp($0 - largest) / total }
                let got = probabilities[(row * length)..<((row + 1) * length)]
                // `x − max` is rounded in Float (half an ulp of |x − max| absolute): e^(x − max) inherits
                // that as a relative error, whatever the exponential; beyond it, 1e-6.
                let worst = zip(zip(got, expected), values).map { pair, value in
                    abs(Double(pair.0) - pair.1) / ((1e-6 + 1.2e-7 * abs(value - largest)) * (pair.1 + 1e-30))
                }.max()!
                #expect(worst <= 1, "length \(length): worst error \(worst) times the bound")
            }
        }
        // −∞ scores (a mask written as scores) get probability exactly 0.
        let masked = try Tensor(shape: [1, 10], scalars: [0, -.infinity, 1, -.infinity, 2, 3, 4, 5, 6, -.infinity]).softmax().scalars
        #expect(masked[1] == 0 && masked[3] == 0 && masked[9] == 0)
        #expect(abs(masked.reduce(0, +) - 1) < 1e-6)
    }
}
