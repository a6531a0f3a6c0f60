import Interchange
import Testing

/// The README's "library in ten lines", exactly as printed there (first line `import Interchange`), kept
/// compiling and correct through the umbrella module. Keep the body in sync with the README's code block.
@Suite struct ReadmeExampleTests {
    @Test func theReadmeExampleRunsThroughImportInterchange() throws {
        let rotation = try Rotation(rank: 2, dimension: 8, seed: 0)        // R: 2 x 8, orthonormal rows
        let base = Tensor.normal(shape: [32, 8], seed: 1)                  // h: hidden states of base inputs
        let source = Tensor.normal(shape: [32, 8], seed: 2)                // s: the same site on source inputs
        let patched = try base + rotation.unrotate(try rotation.rotate(source) - rotation.rotate(base))
        let loss = try (patched - source).squared().mean()                 // any loss on the patched states
        try loss.backward()                                                // ∂loss/∂R lands in R's gradient
        let optimizer = Adam(parameters: [rotation.matrix], learningRate: 0.01)
        optimizer.step()
        try rotation.retract()                                             // back onto R Rᵀ = I (LAPACK QR)

        #expect(rotation.matrix.gradient != nil)
        #expect(rotation.orthonormalityError < 1e-5)
        let after = try (base + rotation.unrotate(try rotation.rotate(source) - rotation.rotate(base)) - source).squared().mean()
        #expect(after.scalar < loss.scalar)
    }

    /// The umbrella re-exports every module a researcher uses: one type from each resolves through `import Interchange`.
    @Test func theUmbrellaReexportsEachModule() throws {
        _ = SeededGenerator(seed: 1)                          // Randomness
        _ = try Tensor(shape: [1], scalars: [0])              // Tensors
        _ = MLPConfiguration(inputDimension: 2, hiddenDimensions: [2], outputDimension: 2)  // Networks
        _ = TextTable(header: ["a"])                          // Reports
        _ = TokenizerError.unknownID(id: 0, vocabularySize: 0)  // Tokenizers
        _ = CausalTask.self                                   // CausalModels
        _ = TransformerConfiguration.self                     // Transformers
        _ = Site.self                                         // Interventions
        _ = AlignmentMethod.allCases                          // Alignment
        _ = ExperimentData.self                               // Experiments
        _ = LayerSpec.self                                    // ReFT
    }
}
