import Foundation

/// Elementwise nonlinearities, each with its derivative beside it.
extension Tensor {
    /// `max(x, 0)`.
    public func relu() -> Tensor {
        elementwise(forward: { max($0, 0) }, derivative: { x, _ in x > 0 ? 1 : 0 })
    }

    /// The logistic function `1 / (1 + e^(-x))`.
    public func sigmoid() -> Tensor {
        elementwise(forward: Tensor.logistic, derivative: { _, y in y * (1 - y) })
    }

    /// The hyperbolic tangent.
    public func tanh() -> Tensor {
        elementwise(forward: { Foundation.tanh($0) }, derivative: { _, y in 1 - y * y })
    }

    /// SiLU (swish), `x · σ(x)`, as in Llama's MLP.
    public func silu() -> Tensor {
        elementwise(forward: { $0 * Tensor.logistic($0) }, derivative: { x, _ in
            let s = Tensor.logistic(x)
            return s * (1 + x * (1 - s))
        })
    }

    /// GELU with the tanh approximation used by GPT-2:
    /// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
    public func gelu() -> Tensor {
        let c = Float((2 / Double.pi).squareRoot())
        return elementwise(
            forward: { x in 0.5 * x * (1 + Foundation.tanh(c * (x + 0.044715 * x * x * x))) },
            derivative: { x, _ in
                let t = Foundation.tanh(c * (x + 0.044715 * x * x * x))
                return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
            })
    }

    /// `e^x`.
    public func exp() -> Tensor {
        elementwise(forward: { Foundation.exp($0) }, derivative: { _, y in y })
    }

    /// The natural logarithm.
    public func log() -> Tensor {
        elementwise(forward: { Foundation.log($0) }, derivative: { x, _ in 1 / x })
    }

    /// The square root.
    public func squareRoot() -> Tensor {
        elementwise(forward: { $0.squareRoot() }, derivative: { _, y in 0.5 / y })
    }

    /// Every element squared.
    public func squared() -> Tensor {
        elementwise(forward: { $0 * $0 }, derivative: { x, _ in 2 * x })
    }

    /// The logistic function, written so that it never overflows.
    @inline(__always)
    static func logistic(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }
}
