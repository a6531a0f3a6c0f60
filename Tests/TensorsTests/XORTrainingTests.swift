import Testing
import TestSupport
@testable import Tensors

/// End to end: a 2-layer MLP trained with Adam on XOR, from a fixed seed.
@Suite struct XORTrainingTests {
    @Test func twoLayerPerceptronLearnsXOR() throws {
        let inputs = try Tensor(rows: [[0, 0], [0, 1], [1, 0], [1, 1]])
        let labels = [0, 1, 1, 0]
        var generator = SeededGenerator(seed: 2024)
        let w1 = Tensor.normal(shape: [2, 8], standardDeviation: 1, using: &generator, requiresGradient: true)
        let b1 = Tensor.zeros(shape: [8], requiresGradient: true)
        let w2 = Tensor.normal(shape: [8, 2], standardDeviation: 0.5, using: &generator, requiresGradient: true)
        let b2 = Tensor.zeros(shape: [2], requiresGradient: true)
        let optimizer = Adam(parameters: [w1, b1, w2, b2], learningRate: 0.05)
        func logits() throws -> Tensor {
            try Tensor.matmul(try (Tensor.matmul(inputs, w1) + b1).relu(), w2) + b2
        }
        var finalLoss: Float = .infinity
        for _ in 0..<300 {
            let loss = try Tensor.crossEntropy(logits: logits(), labels: labels)
            try loss.backward()
            optimizer.step()
            optimizer.zeroGradients()
            finalLoss = loss.scalar
        }
        let output = try logits()
        let predictions = (0..<4).map { output[$0, 0] > output[$0, 1] ? 0 : 1 }
        #expect(predictions == labels)
        #expect(finalLoss < 0.05)
    }
}
