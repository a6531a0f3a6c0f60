import Foundation

/// Elementwise nonlinearities: each is a `UnaryFunction` with its derivative beside it.
extension Tensor {
    /// `max(x, 0)`.
    public func relu() -> Tensor { elementwise(ReLU.self) }
    /// The logistic function `1 / (1 + e^(-x))`.
    public func sigmoid() -> Tensor { elementwise(Logistic.self) }
    /// The hyperbolic tangent.
    public func tanh() -> Tensor { elementwise(HyperbolicTangent.self) }
    /// SiLU (swish), `x · σ(x)`, as in Llama's MLP.
    public func silu() -> Tensor { vectorElementwise(SiLU.self) }
    /// GELU with the tanh approximation used by GPT-2: `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
    public func gelu() -> Tensor { vectorElementwise(GELU.self) }
    /// `e^x`.
    public func exp() -> Tensor { elementwise(Exponential.self) }
    /// The natural logarithm.
    public func log() -> Tensor { elementwise(Logarithm.self) }
    /// The square root.
    public func squareRoot() -> Tensor { elementwise(SquareRoot.self) }
    /// Every element squared.
    public func squared() -> Tensor { elementwise(Square.self) }
}

enum ReLU: UnaryFunction {
    @inline(__always) static func value(_ x: Float) -> Float { max(x, 0) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : 0 }
}

enum Logistic: UnaryFunction {
    /// Written so that it never overflows.
    @inline(__always) static func value(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { y * (1 - y) }
}

enum HyperbolicTangent: UnaryFunction {
    @inline(__always) static func value(_ x: Float) -> Float { Foundation.tanh(x) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { 1 - y * y }
}

/// An elementwise function computed eight lanes at a time (with `VectorExponential`), with its
/// derivative in terms of `x` alone.
protocol VectorFunction {
    static func value(_ x: SIMD8<Float>) -> SIMD8<Float>
    static func derivative(_ x: SIMD8<Float>) -> SIMD8<Float>
}

extension Tensor {
    /// `F` on every element, eight at a time; the backward multiplies by `F.derivative(x)`.
    func vectorElementwise<F: VectorFunction>(_: F.Type) -> Tensor {
        let output = Kernels.map8(scalars, F.value)
        return Tensor.result(shape: shape, scalars: output, inputs: [self]) { [self] g in
            [Tensor(validShape: shape, scalars: Kernels.zip8(g.scalars, scalars) { g, x in g * F.derivative(x) })]
        }
    }
}

/// `x σ(x)`; `d/dx = σ(x) (1 + x (1 − σ(x)))`.
enum SiLU: VectorFunction {
    @inline(__always) static func value(_ x: SIMD8<Float>) -> SIMD8<Float> { x * VectorExponential.logistic(x) }
    @inline(__always) static func derivative(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let s = VectorExponential.logistic(x)
        return s * (1 + x * (1 - s))
    }
}

/// GELU-tanh, `0.5 x (1 + tanh(u))` with `u = c (x + 0.044715 x³)`, `c = √(2/π)`, computed as
/// `x σ(2u)` (since `1 + tanh(u) = 2 σ(2u)`), which avoids the cancellation of `1 + tanh(u)` near −1.
/// `d/dx = σ(2u) + x · 2 σ(2u)(1 − σ(2u)) · c (1 + 3 · 0.044715 x²)` (as `1 − tanh² u = 4 σ(2u)(1 − σ(2u))`).
enum GELU: VectorFunction {
    static let c = Float((2 / Double.pi).squareRoot())
    static let cubic: Float = 0.044715
    @inline(__always) static func doubledArgument(_ x: SIMD8<Float>) -> SIMD8<Float> { 2 * c * (x + cubic * x * x * x) }
    @inline(__always) static func value(_ x: SIMD8<Float>) -> SIMD8<Float> { x * VectorExponential.logistic(doubledArgument(x)) }
    @inline(__always) static func derivative(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let s = VectorExponential.logistic(doubledArgument(x))
        return s + x * 2 * s * (1 - s) * c * (1 + 3 * cubic * x * x)
    }
}

enum Exponential: UnaryFunction {
    @inline(__always) static func value(_ x: Float) -> Float { Foundation.exp(x) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { y }
}

enum Logarithm: UnaryFunction {
    @inline(__always) static func value(_ x: Float) -> Float { Foundation.log(x) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { 1 / x }
}

enum SquareRoot: UnaryFunction {
    @inline(__always) static func value(_ x: Float) -> Float { x.squareRoot() }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { 0.5 / y }
}

enum Square: UnaryFunction {
    @inline(__always) static func value(_ x: Float) -> Float { x * x }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { 2 * x }
}
