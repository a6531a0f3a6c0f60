import Testing
import TestSupport
import Tensors

/// The README's ten-line example, kept compiling and correct.
@Suite struct ReadmeExampleTests {
    @Test func distributedInterchangeStepKeepsTheRotationOrthonormal() throws {
        let rotation = try Rotation(rank: 2, dimension: 8, seed: 0)
        let base = Tensor.normal(shape: [32, 8], seed: 1)
        let source = Tensor.normal(shape: [32, 8], seed: 2)
        let patched = try base + rotation.unrotate(try rotation.rotate(source) - rotation.rotate(base))
        let loss = try (patched - source).squared().mean()
        try loss.backward()
        let optimizer = Adam(parameters: [rotation.matrix], learningRate: 0.01)
        optimizer.step()
        try rotation.retract()

        #expect(rotation.matrix.gradient != nil)
        #expect(rotation.orthonormalityError < 1e-5)
        let after = try (base + rotation.unrotate(try rotation.rotate(source) - rotation.rotate(base)) - source).squared().mean()
        #expect(after.scalar < loss.scalar)
    }
}
