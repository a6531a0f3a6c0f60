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
    public func silu() -> Tensor { elementwise(SiLU.self) }
    /// GELU with the tanh approximation used by GPT-2: `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
    public func gelu() -> Tensor { elementwise(GELU.self) }
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

enum SiLU: UnaryFunction {
    @inline(__always) static func value(_ x: Float) -> Float { x * Logistic.value(x) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float {
        let s = Logistic.value(x)
        return s * (1 + x * (1 - s))
    }
}

enum GELU: UnaryFunction {
    static let c = Float((2 / Double.pi).squareRoot())
    @inline(__always) static func value(_ x: Float) -> Float { 0.5 * x * (1 + Foundation.tanh(c * (x + 0.044715 * x * x * x))) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float {
        let t = Foundation.tanh(c * (x + 0.044715 * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
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
