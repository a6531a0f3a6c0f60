/// Elementwise arithmetic with NumPy broadcasting, and arithmetic with a scalar.
extension Tensor {
    /// `a + b`, broadcasting. - Throws: `TensorError.shapeMismatch` naming `add` and both shapes.
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try broadcasting(Sum.self, a, b) }

    /// `a - b`, broadcasting. - Throws: `TensorError.shapeMismatch` naming `subtract` and both shapes.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try broadcasting(Difference.self, a, b) }

    /// `a * b` elementwise, broadcasting. - Throws: `TensorError.shapeMismatch` naming `multiply` and both shapes.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try broadcasting(Product.self, a, b) }

    /// `a / b` elementwise, broadcasting. - Throws: `TensorError.shapeMismatch` naming `divide` and both shapes.
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try broadcasting(Quotient.self, a, b) }

    /// Every element plus `scalar`.
    public static func + (a: Tensor, scalar: Float) -> Tensor {
        result(shape: a.shape, scalars: Kernels.map(a.scalars) { $0 + scalar }, inputs: [a]) { g in [g] }
    }

    /// Every element minus `scalar`.
    public static func - (a: Tensor, scalar: Float) -> Tensor { a + -scalar }

    /// Every element times `scalar`.
    public static func * (a: Tensor, scalar: Float) -> Tensor {
        result(shape: a.shape, scalars: Kernels.map(a.scalars) { $0 * scalar }, inputs: [a]) { g in
            [Tensor(validShape: g.shape, scalars: Kernels.map(g.scalars) { $0 * scalar })]
        }
    }

    /// `scalar` times every element.
    public static func * (scalar: Float, a: Tensor) -> Tensor { a * scalar }

    /// Every element negated.
    public static prefix func - (a: Tensor) -> Tensor { a * -1 }

    /// One binary op `F` with broadcasting; each operand's gradient is summed back over the axes it
    /// was broadcast along. Generic over `F` so that every loop is specialized and vectorized.
    @inline(__always)
    private static func broadcasting<F: BinaryFunction>(_: F.Type, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let shape = try Broadcasting.shape(a.shape, b.shape, op: F.name)
        let scalars = Broadcasting.combine(shape: shape, a.scalars, a.shape, b.scalars, b.shape, F.value)
        return result(shape: shape, scalars: scalars, inputs: [a, b]) { g in
            // Where the partial derivative is 1, the incoming gradient passes on without a copy.
            func gradient(of operand: Tensor, passesThrough: Bool, _ partial: (Float, Float, Float) -> Float) -> Tensor? {
                guard operand.requiresGradient else { return nil }
                let full = passesThrough ? g.scalars
                    : Broadcasting.combine(shape: shape, g: g.scalars, a.scalars, a.shape, b.scalars, b.shape, partial)
                return Tensor(validShape: operand.shape, scalars: Broadcasting.reduce(full, from: shape, to: operand.shape))
            }
            return [gradient(of: a, passesThrough: F.passesGradientToX, F.gradientOfX),
                    gradient(of: b, passesThrough: F.passesGradientToY, F.gradientOfY)]
        }
    }

    /// One elementwise function `F`, its derivative beside it in `F`.
    @inline(__always)
    func elementwise<F: UnaryFunction>(_: F.Type) -> Tensor {
        let output = Kernels.map(scalars, F.value)
        return Tensor.result(shape: shape, scalars: output, inputs: [self]) { [self] g in
            [Tensor(validShape: shape, scalars: Kernels.zip(g.scalars, scalars, output) { g, x, y in g * F.derivative(x: x, y: y) })]
        }
    }
}

/// A binary elementwise function with its partial derivatives, for `Tensor`'s broadcasting ops.
protocol BinaryFunction {
    /// The op's name in error messages.
    static var name: String { get }
    static func value(_ x: Float, _ y: Float) -> Float
    /// `g · ∂f/∂x` at `(x, y)`.
    static func gradientOfX(_ g: Float, _ x: Float, _ y: Float) -> Float
    /// `g · ∂f/∂y` at `(x, y)`.
    static func gradientOfY(_ g: Float, _ x: Float, _ y: Float) -> Float
    /// Whether `∂f/∂x = 1`, so that `x`'s gradient is the incoming one.
    static var passesGradientToX: Bool { get }
    /// Whether `∂f/∂y = 1`.
    static var passesGradientToY: Bool { get }
}

extension BinaryFunction {
    static var passesGradientToX: Bool { false }
    static var passesGradientToY: Bool { false }
}

enum Sum: BinaryFunction {
    static let name = "add"
    static let passesGradientToX = true, passesGradientToY = true
    @inline(__always) static func value(_ x: Float, _ y: Float) -> Float { x + y }
    @inline(__always) static func gradientOfX(_ g: Float, _ x: Float, _ y: Float) -> Float { g }
    @inline(__always) static func gradientOfY(_ g: Float, _ x: Float, _ y: Float) -> Float { g }
}

enum Difference: BinaryFunction {
    static let name = "subtract"
    static let passesGradientToX = true
    @inline(__always) static func value(_ x: Float, _ y: Float) -> Float { x - y }
    @inline(__always) static func gradientOfX(_ g: Float, _ x: Float, _ y: Float) -> Float { g }
    @inline(__always) static func gradientOfY(_ g: Float, _ x: Float, _ y: Float) -> Float { -g }
}

enum Product: BinaryFunction {
    static let name = "multiply"
    @inline(__always) static func value(_ x: Float, _ y: Float) -> Float { x * y }
    @inline(__always) static func gradientOfX(_ g: Float, _ x: Float, _ y: Float) -> Float { g * y }
    @inline(__always) static func gradientOfY(_ g: Float, _ x: Float, _ y: Float) -> Float { g * x }
}

enum Quotient: BinaryFunction {
    static let name = "divide"
    @inline(__always) static func value(_ x: Float, _ y: Float) -> Float { x / y }
    @inline(__always) static func gradientOfX(_ g: Float, _ x: Float, _ y: Float) -> Float { g / y }
    @inline(__always) static func gradientOfY(_ g: Float, _ x: Float, _ y: Float) -> Float { -g * x / (y * y) }
}

/// An elementwise function `y = f(x)` with its derivative, which may read `x` or `y`.
protocol UnaryFunction {
    static func value(_ x: Float) -> Float
    static func derivative(x: Float, y: Float) -> Float
}
