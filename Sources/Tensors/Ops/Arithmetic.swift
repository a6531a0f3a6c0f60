/// Elementwise arithmetic with NumPy broadcasting, and arithmetic with a scalar.
extension Tensor {
    /// `a + b`, broadcasting. - Throws: `TensorError.shapeMismatch` naming `add` and both shapes.
    public static func + (a: Tensor, b: Tensor) throws -> Tensor {
        try broadcasting("add", a, b, forward: { _, x, y in x + y },
                         gradientA: { g, _, _ in g }, gradientB: { g, _, _ in g })
    }

    /// `a - b`, broadcasting. - Throws: `TensorError.shapeMismatch` naming `subtract` and both shapes.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor {
        try broadcasting("subtract", a, b, forward: { _, x, y in x - y },
                         gradientA: { g, _, _ in g }, gradientB: { g, _, _ in -g })
    }

    /// `a * b` elementwise, broadcasting. - Throws: `TensorError.shapeMismatch` naming `multiply` and both shapes.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor {
        try broadcasting("multiply", a, b, forward: { _, x, y in x * y },
                         gradientA: { g, _, y in g * y }, gradientB: { g, x, _ in g * x })
    }

    /// `a / b` elementwise, broadcasting. - Throws: `TensorError.shapeMismatch` naming `divide` and both shapes.
    public static func / (a: Tensor, b: Tensor) throws -> Tensor {
        try broadcasting("divide", a, b, forward: { _, x, y in x / y },
                         gradientA: { g, _, y in g / y }, gradientB: { g, x, y in -g * x / (y * y) })
    }

    /// Every element plus `scalar`.
    public static func + (a: Tensor, scalar: Float) -> Tensor {
        a.elementwise(forward: { $0 + scalar }, derivative: { _, _ in 1 })
    }

    /// Every element minus `scalar`.
    public static func - (a: Tensor, scalar: Float) -> Tensor {
        a.elementwise(forward: { $0 - scalar }, derivative: { _, _ in 1 })
    }

    /// Every element times `scalar`.
    public static func * (a: Tensor, scalar: Float) -> Tensor {
        a.elementwise(forward: { $0 * scalar }, derivative: { _, _ in scalar })
    }

    /// `scalar` times every element.
    public static func * (scalar: Float, a: Tensor) -> Tensor { a * scalar }

    /// Every element negated.
    public static prefix func - (a: Tensor) -> Tensor { a * -1 }

    /// One binary op with broadcasting: `forward(_, x, y)` makes the result, and `gradientA(g, x, y)`,
    /// `gradientB(g, x, y)` its partial derivatives times the incoming gradient `g`, summed back
    /// over the axes each operand was broadcast along.
    @inline(__always)
    private static func broadcasting(
        _ op: String, _ a: Tensor, _ b: Tensor,
        forward: @escaping (Float, Float, Float) -> Float,
        gradientA: @escaping (Float, Float, Float) -> Float,
        gradientB: @escaping (Float, Float, Float) -> Float
    ) throws -> Tensor {
        let shape = try Broadcasting.shape(a.shape, b.shape, op: op)
        let scalars = a.shape == b.shape
            ? Kernels.zip(a.scalars, b.scalars) { x, y in forward(0, x, y) }
            : Broadcasting.combine(shape: shape, g: nil, a.scalars, a.shape, b.scalars, b.shape, forward)
        return result(shape: shape, scalars: scalars, inputs: [a, b]) { g in
            func gradient(for operand: Tensor, _ partial: @escaping (Float, Float, Float) -> Float) -> Tensor? {
                guard operand.requiresGradient else { return nil }
                let full = a.shape == b.shape
                    ? Kernels.zip(g.scalars, a.scalars, b.scalars, partial)
                    : Broadcasting.combine(shape: shape, g: g.scalars, a.scalars, a.shape, b.scalars, b.shape, partial)
                return Tensor(validShape: operand.shape, scalars: Broadcasting.reduce(full, from: shape, to: operand.shape))
            }
            return [gradient(for: a, gradientA), gradient(for: b, gradientB)]
        }
    }

    /// One elementwise op: `forward(x)` makes each result `y`, and `derivative(x, y)` is `dy/dx`.
    @inline(__always)
    func elementwise(forward: (Float) -> Float, derivative: @escaping (_ x: Float, _ y: Float) -> Float) -> Tensor {
        let output = Kernels.map(scalars, forward)
        return Tensor.result(shape: shape, scalars: output, inputs: [self]) { [self] g in
            [Tensor(validShape: shape, scalars: Kernels.zip(g.scalars, scalars, output) { g, x, y in g * derivative(x, y) })]
        }
    }
}
