@_exported import Randomness

/// Seeded random tensors. Every random tensor in Interchange comes from a `SeededGenerator`,
/// so the same seed gives the same tensor on every run.
extension Tensor {
    /// Normal draws with the given mean and standard deviation, from `generator`.
    public static func normal(
        shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
        using generator: inout SeededGenerator, requiresGradient: Bool = false
    ) -> Tensor {
        let scalars = (0..<shape.reduce(1, *)).map { _ in mean + standardDeviation * Float(generator.nextNormal()) }
        return Tensor(validShape: shape, scalars: scalars, requiresGradient: requiresGradient)
    }

    /// Normal draws from a generator seeded with `seed`.
    public static func normal(
        shape: [Int], mean: Float = 0, standardDeviation: Float = 1, seed: UInt64, requiresGradient: Bool = false
    ) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return normal(shape: shape, mean: mean, standardDeviation: standardDeviation, using: &generator, requiresGradient: requiresGradient)
    }

    /// Uniform draws in `range` (the upper bound excluded), from `generator`.
    public static func uniform(
        shape: [Int], in range: ClosedRange<Float> = 0...1,
        using generator: inout SeededGenerator, requiresGradient: Bool = false
    ) -> Tensor {
        let width = range.upperBound - range.lowerBound
        let scalars = (0..<shape.reduce(1, *)).map { _ in range.lowerBound + width * generator.nextUniformFloat() }
        return Tensor(validShape: shape, scalars: scalars, requiresGradient: requiresGradient)
    }

    /// Uniform draws in `range` from a generator seeded with `seed`.
    public static func uniform(
        shape: [Int], in range: ClosedRange<Float> = 0...1, seed: UInt64, requiresGradient: Bool = false
    ) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return uniform(shape: shape, in: range, using: &generator, requiresGradient: requiresGradient)
    }

    /// A random `[rows, columns]` matrix with orthonormal rows (when `rows ≤ columns`) or orthonormal
    /// columns (otherwise): the QR factor of a seeded Gaussian matrix, with the sign convention of
    /// `Rotation.retract()`, which makes it uniformly (Haar) distributed.
    public static func orthogonal(rows: Int, columns: Int, using generator: inout SeededGenerator, requiresGradient: Bool = false) -> Tensor {
        precondition(rows >= 0 && columns >= 0, "Tensor.orthogonal: negative size \(rows) x \(columns)")
        let (short, long) = (min(rows, columns), max(rows, columns))
        var scalars = normal(shape: [short, long], using: &generator).scalars
        // Gaussian entries are finite and LAPACK only fails on invalid arguments, which these are not.
        try! LAPACK.orthonormalizeRows(&scalars, rows: short, columns: long)
        if rows > columns { scalars = permute(scalars, shape: [short, long], [1, 0]) }
        return Tensor(validShape: [rows, columns], scalars: scalars, requiresGradient: requiresGradient)
    }

    /// A random matrix with orthonormal rows or columns, from a generator seeded with `seed`.
    public static func orthogonal(rows: Int, columns: Int, seed: UInt64, requiresGradient: Bool = false) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return orthogonal(rows: rows, columns: columns, using: &generator, requiresGradient: requiresGradient)
    }
}
