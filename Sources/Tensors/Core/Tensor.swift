/// A dense, row-major, contiguous array of `Float` with a shape, and a node of the autodiff tape.
///
/// `Tensor` is a class: a tensor is an identity on the tape, and parameters are updated in place
/// by optimizers. Batched activations are `[batch, dim]` (MLP) or `[batch, seq, dim]` (transformer).
///
/// Autodiff is reverse mode. A leaf tensor with `requiresGradient == true` is a variable; every op
/// whose inputs include such a tensor records how to send gradients back to them, and
/// `backward()` on a scalar result accumulates `∂result/∂leaf` into each leaf's `gradient`.
/// Ops on tensors that need no gradient record nothing, so frozen weights cost nothing.
public final class Tensor {
    /// The extent of each axis; `[]` is a scalar holding one element.
    public let shape: [Int]

    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    ///
    /// Mutating the scalars of a tensor that an unfinished tape refers to changes what its
    /// gradients mean; optimizers do it only between steps.
    public var scalars: [Float]

    /// Whether gradients flow to this tensor. Set it on leaves (parameters, or inputs whose
    /// gradient you want); an op's result needs a gradient when any of its inputs does.
    public var requiresGradient: Bool

    /// The gradient accumulated by `backward()`, with this tensor's shape; `nil` until a backward
    /// pass reaches this leaf, and after `zeroGradient()`.
    public internal(set) var gradient: Tensor?

    /// How to send this tensor's gradient to the inputs of the op that made it; `nil` on leaves
    /// and on results that need no gradient.
    let tapeRecord: TapeRecord?

    /// The gradient a running backward pass has gathered for this node so far.
    var pendingGradient: Tensor?

    /// The backward pass that last visited this node (each pass has its own number), so that the
    /// topological sort needs no hashed set.
    var visitMark: UInt64 = 0

    /// Creates a leaf tensor from its shape and row-major scalars.
    /// - Throws: `TensorError.invalidShape` when a dimension is negative or the counts differ.
    public convenience init(shape: [Int], scalars: [Float], requiresGradient: Bool = false) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidShape(op: "Tensor(shape:scalars:)", shape: shape, reason: "dimensions must not be negative")
        }
        // The shape may come from a file: its product is checked, so [2**32, 2**32] is an error, not a trap.
        let count: Int
        do { count = try CheckedSize.product(shape, of: "shape \(shape)") } catch {
            throw TensorError.invalidShape(op: "Tensor(shape:scalars:)", shape: shape, reason: "\(error)")
        }
        guard count == scalars.count else {
            throw TensorError.invalidShape(
                op: "Tensor(shape:scalars:)", shape: shape,
                reason: "it holds \(count) elements but \(scalars.count) scalars were given")
        }
        self.init(validShape: shape, scalars: scalars, requiresGradient: requiresGradient)
    }

    /// Creates a tensor whose shape and scalars are known to agree; the designated initializer.
    init(validShape shape: [Int], scalars: [Float], requiresGradient: Bool = false, tapeRecord: TapeRecord? = nil) {
        assert(shape.reduce(1, *) == scalars.count, "shape \(shape) does not hold \(scalars.count) scalars")
        self.shape = shape
        self.scalars = scalars
        self.requiresGradient = requiresGradient
        self.tapeRecord = tapeRecord
    }

    /// A scalar tensor (shape `[]`).
    public convenience init(_ value: Float, requiresGradient: Bool = false) {
        self.init(validShape: [], scalars: [value], requiresGradient: requiresGradient)
    }

    /// A rank-1 tensor holding `values`.
    public convenience init(_ values: [Float], requiresGradient: Bool = false) {
        self.init(validShape: [values.count], scalars: values, requiresGradient: requiresGradient)
    }

    /// A rank-2 tensor from its rows, which must all have the same length.
    /// - Throws: `TensorError.invalidShape` for ragged rows.
    public convenience init(rows: [[Float]], requiresGradient: Bool = false) throws {
        let width = rows.first?.count ?? 0
        guard rows.allSatisfy({ $0.count == width }) else {
            throw TensorError.invalidShape(
                op: "Tensor(rows:)", shape: [rows.count, width],
                reason: "rows have lengths \(rows.map(\.count)); all must be equal")
        }
        self.init(validShape: [rows.count, width], scalars: rows.flatMap { $0 }, requiresGradient: requiresGradient)
    }

    /// A tensor of the given shape with every element equal to `value`, for shapes the program
    /// computed itself: a negative or overflowing shape is a programming error and stops with a message
    /// naming it. For a shape read from a file or a flag use `filled(_:shape:checking:)`, which throws.
    public static func filled(_ value: Float, shape: [Int], requiresGradient: Bool = false) -> Tensor {
        let count: Int
        do { count = try CheckedSize.product(shape, of: "Tensor.filled shape \(shape)") } catch { preconditionFailure("\(error)") }
        return Tensor(validShape: shape, scalars: [Float](repeating: value, count: count), requiresGradient: requiresGradient)
    }

    /// A tensor of `shape` filled with `value`, where `shape` comes from outside the program: the element
    /// count and its memory are checked first (`CheckedSize.floatElements`), so a hostile shape throws.
    /// - Parameter what: names the quantity in the error, e.g. `"config.json hidden_dimensions[0]"`.
    /// - Throws: `SizeError` naming `what` (negative, overflowing, or more memory than the machine has).
    public static func filled(_ value: Float, shape: [Int], checking what: String, requiresGradient: Bool = false) throws -> Tensor {
        _ = try CheckedSize.floatElements(of: shape, of: what)
        return filled(value, shape: shape, requiresGradient: requiresGradient)
    }

    /// A tensor of zeros.
    public static func zeros(shape: [Int], requiresGradient: Bool = false) -> Tensor {
        filled(0, shape: shape, requiresGradient: requiresGradient)
    }

    /// A tensor of ones.
    public static func ones(shape: [Int], requiresGradient: Bool = false) -> Tensor {
        filled(1, shape: shape, requiresGradient: requiresGradient)
    }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// The number of elements.
    public var elementCount: Int { scalars.count }

    /// The single element of a one-element tensor.
    public var scalar: Float {
        precondition(scalars.count == 1, "Tensor.scalar needs one element; shape is \(shape)")
        return scalars[0]
    }

    /// The element at a full multi-index, e.g. `t[1, 2]` for a rank-2 tensor.
    public subscript(indices: Int...) -> Float {
        precondition(indices.count == rank, "Tensor subscript needs \(rank) indices, got \(indices.count)")
        var offset = 0
        for (axis, index) in indices.enumerated() {
            precondition((0..<shape[axis]).contains(index), "index \(index) out of range 0..<\(shape[axis]) on axis \(axis)")
            offset = offset * shape[axis] + index
        }
        return scalars[offset]
    }

    /// A copy of the values that is a new leaf: no tape, no gradient.
    public func detached() -> Tensor {
        Tensor(validShape: shape, scalars: scalars)
    }

    /// Forgets the accumulated gradient.
    public func zeroGradient() {
        gradient = nil
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and up to the first eight elements.
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(scalars.count > 8 ? ", …" : "")])"
    }
}
