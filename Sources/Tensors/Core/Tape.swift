import Synchronization

/// The record an op leaves on its result: its inputs, and how to turn the result's gradient into
/// theirs. `backward` returns one entry per input, `nil` for inputs that need no gradient (and for
/// those the op must not compute one: that is what makes frozen weights free).
struct TapeRecord {
    let inputs: [Tensor]
    let backward: (_ outputGradient: Tensor) -> [Tensor?]
}

/// Whether ops record on the tape, per task (see `Tensor.withoutGradients`).
enum TapeMode {
    @TaskLocal static var recording = true
}

extension Tensor {
    /// Wraps an op's result: records `backward` on it when any input needs a gradient (and the
    /// tape is on, see `withoutGradients`), and otherwise drops the closure so that nothing the
    /// op captured is kept alive.
    static func result(
        shape: [Int], scalars: [Float], inputs: [Tensor],
        backward: @escaping (_ outputGradient: Tensor) -> [Tensor?]
    ) -> Tensor {
        guard inputs.contains(where: { $0.requiresGradient }), isRecordingGradients else {
            return Tensor(validShape: shape, scalars: scalars)
        }
        return Tensor(validShape: shape, scalars: scalars, requiresGradient: true,
                      tapeRecord: TapeRecord(inputs: inputs, backward: backward))
    }

    /// Runs `body` with the tape off: no op records anything, so every result has
    /// `requiresGradient == false`, captures nothing for a backward pass, and costs no gradient
    /// bookkeeping (evaluation, generation). Leaves keep their own `requiresGradient`.
    ///
    /// The mode belongs to the current task (a task-local value): tasks started inside `body`
    /// inherit it, other tasks and threads are unaffected, and nesting is allowed.
    public static func withoutGradients<T>(_ body: () throws -> T) rethrows -> T {
        try TapeMode.$recording.withValue(false, operation: body)
    }

    /// Whether ops record on the tape here: false inside `withoutGradients`, true otherwise.
    public static var isRecordingGradients: Bool { TapeMode.recording }

    /// Runs reverse-mode differentiation from this one-element tensor and adds `∂self/∂leaf` to the
    /// `gradient` of every leaf that requires one. Gradients of intermediate results are dropped as
    /// soon as they have been sent on.
    /// - Throws: `TensorError.invalidShape` when `self` has more than one element.
    public func backward() throws {
        guard elementCount == 1 else {
            throw TensorError.invalidShape(op: "backward", shape: shape, reason: "backward() starts from a one-element tensor (a loss)")
        }
        try backward(seed: Tensor(validShape: shape, scalars: [1]))
    }

    /// Reverse-mode differentiation from this tensor with `seed` as its gradient (same shape).
    /// - Throws: `TensorError.shapeMismatch` when the seed's shape differs from `self`'s.
    public func backward(seed: Tensor) throws {
        guard seed.shape == shape else {
            throw TensorError.shapeMismatch(op: "backward(seed:)", shapes: [shape, seed.shape], reason: "the seed must have the tensor's shape")
        }
        guard requiresGradient else { return }
        let order = topologicalOrder()
        pendingGradient = seed
        for node in order.reversed() {
            guard let gradient = node.pendingGradient else { continue }
            node.pendingGradient = nil
            guard let record = node.tapeRecord else {
                node.accumulate(gradient)
                continue
            }
            for (input, inputGradient) in zip(record.inputs, record.backward(gradient)) {
                guard input.requiresGradient, let inputGradient else { continue }
                input.pendingGradient = input.pendingGradient.map { Tensor.sum($0, inputGradient) } ?? inputGradient
            }
        }
    }

    /// The tensors that need a gradient and lead to `self`, each after all of its inputs
    /// (iterative depth-first search, so deep graphs do not exhaust the stack).
    private func topologicalOrder() -> [Tensor] {
        let mark = Tensor.backwardPasses.wrappingAdd(1, ordering: .relaxed).newValue
        var order: [Tensor] = []
        var stack: [(node: Tensor, inputsDone: Bool)] = [(self, false)]
        while let (node, inputsDone) = stack.popLast() {
            if inputsDone {
                order.append(node)
                continue
            }
            guard node.visitMark != mark else { continue }
            node.visitMark = mark
            stack.append((node, true))
            for input in node.tapeRecord?.inputs ?? [] where input.requiresGradient && input.visitMark != mark {
                stack.append((input, false))
            }
        }
        return order
    }

    /// Counts backward passes, to give each its own visit mark.
    private static let backwardPasses = Atomic<UInt64>(0)

    /// Adds a gradient into a leaf's `gradient`. The stored tensor never aliases the incoming one,
    /// because a backward closure may hand the same tensor to several inputs.
    private func accumulate(_ incoming: Tensor) {
        if let gradient {
            self.gradient = Tensor.sum(gradient, incoming)
        } else {
            gradient = Tensor(validShape: incoming.shape, scalars: incoming.scalars)
        }
    }

    /// Elementwise sum of two same-shape tensors, recording nothing (for gradient bookkeeping).
    static func sum(_ a: Tensor, _ b: Tensor) -> Tensor {
        Tensor(validShape: a.shape, scalars: Kernels.add(a.scalars, b.scalars))
    }
}
