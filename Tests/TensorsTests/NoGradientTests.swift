import Testing
import TestSupport
import Tensors

/// `Tensor.withoutGradients`: evaluation and generation record nothing.
@Suite struct NoGradientTests {
    /// A small forward pass touching matmul, broadcasting, attention, RoPE, norms and rows.
    static func forward(_ w: Tensor, _ x: Tensor) throws -> Tensor {
        let h = try (Tensor.matmul(x, w, transposeB: true) + 1).silu().rmsNorm(weight: Tensor.ones(shape: [4]))
        let heads = try h.reshaped(to: [1, 1, 3, 4])
        let rotated = try Tensor.rotaryEmbedding(heads, positions: [0, 1, 2], inverseFrequencies: [1, 0.1])
        let attended = try Tensor.causalAttention(query: rotated, key: rotated, value: heads)
        return try attended.reshaped(to: [3, 4]).gatherRows([2, 0]).softmax().sum()
    }

    @Test func insideNothingRecords() throws {
        let w = variable([4, 4], seed: 1), x = Tensor.normal(shape: [3, 4], seed: 2)
        #expect(Tensor.isRecordingGradients)
        let (loss, recording) = try Tensor.withoutGradients { (try Self.forward(w, x), Tensor.isRecordingGradients) }
        #expect(!recording)
        #expect(!loss.requiresGradient)
        // Leaves keep their flag; a backward pass from the result reaches nothing.
        #expect(w.requiresGradient)
        try loss.backward()
        #expect(w.gradient == nil)
        // The values are those of the recorded pass.
        let recorded = try Self.forward(w, x)
        #expect(recorded.requiresGradient && recorded.scalar == loss.scalar)
    }

    @Test func outsideIsUnaffectedAndNestingRestores() throws {
        let w = variable([4, 4], seed: 3), x = Tensor.normal(shape: [3, 4], seed: 4)
        let states = Tensor.withoutGradients {
            let outer = Tensor.isRecordingGradients
            let inner = Tensor.withoutGradients { Tensor.isRecordingGradients }
            let afterInner = Tensor.isRecordingGradients
            let product = try? Tensor.matmul(x, w)
            return [outer, inner, afterInner, product?.requiresGradient ?? true]
        }
        #expect(states == [false, false, false, false])
        #expect(Tensor.isRecordingGradients)
        let loss = try Self.forward(w, x)
        #expect(loss.requiresGradient)
        try loss.backward()
        #expect(w.gradient != nil)
    }

    @Test func errorsPropagateAndTheModeEnds() throws {
        struct Stop: Error {}
        #expect(throws: Stop.self) { try Tensor.withoutGradients { throw Stop() } }
        #expect(Tensor.isRecordingGradients)
        let w = variable([2, 2], seed: 5)
        #expect((w * 2).requiresGradient)
    }

    @Test func otherTasksKeepRecording() async throws {
        // The mode belongs to the task that set it: a task running meanwhile still records.
        let recordedElsewhere = await Tensor.withoutGradients {
            Task.detached { Tensor.isRecordingGradients }
        }.value
        #expect(recordedElsewhere)
    }
}
