import Testing
import TestSupport
@testable import Tensors

@Suite struct RotationTests {
    @Test(arguments: [(4, 4), (16, 16), (3, 10), (16, 4096), (64, 4096)])
    func retractingAPerturbedRotationMakesItOrthonormal(rank: Int, dimension: Int) throws {
        let rotation = try Rotation(rank: rank, dimension: dimension, seed: 1)
        #expect(rotation.orthonormalityError < 1e-5)
        let noise = Tensor.normal(shape: [rank, dimension], standardDeviation: 0.05, seed: 2)
        rotation.matrix.scalars = try (rotation.matrix + noise).scalars
        #expect(rotation.orthonormalityError > 1e-3)
        try rotation.retract()
        #expect(rotation.orthonormalityError < 1e-5)
    }

    @Test(arguments: [(8, 8), (5, 12), (16, 4096)])
    func retractingAnOrthonormalMatrixLeavesItUnchanged(rank: Int, dimension: Int) throws {
        let rotation = try Rotation(rank: rank, dimension: dimension, seed: 3)
        let before = rotation.matrix.scalars
        try rotation.retract()
        let change = zip(before, rotation.matrix.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(change < 1e-6)
    }

    @Test func retractionKeepsTheRowSpaceAndFixesSigns() throws {
        // With Rᵀ = Q S and diag(S) > 0, retraction is Gram–Schmidt on the rows: each row keeps its
        // direction. R = [[-2, 0], [1, 3]] becomes [[-1, 0], [0, 1]].
        let rotation = try Rotation(matrix: Tensor(rows: [[-2, 0], [1, 3]]))
        #expect(close(rotation.matrix.scalars, [-1, 0, 0, 1], tolerance: 1e-7))
    }

    @Test func sameSeedSameRotation() throws {
        let a = try Rotation(rank: 4, dimension: 9, seed: 7), b = try Rotation(rank: 4, dimension: 9, seed: 7)
        let c = try Rotation(rank: 4, dimension: 9, seed: 8)
        #expect(a.matrix.scalars == b.matrix.scalars)
        #expect(a.matrix.scalars != c.matrix.scalars)
    }

    @Test func rotateAndUnrotateInvertEachOtherForAFullRotation() throws {
        let rotation = try Rotation(rank: 6, dimension: 6, seed: 4)
        let h = Tensor.normal(shape: [5, 6], seed: 5)
        #expect(close(try rotation.unrotate(rotation.rotate(h)).scalars, h.scalars, tolerance: 1e-5))
    }

    @Test func projectedGradientIsTangentToOrthonormalRows() throws {
        // The tangent space at R: directions G with G Rᵀ + R Gᵀ = 0; directions of the form S R (S symmetric) are removed.
        let rotation = try Rotation(rank: 3, dimension: 7, seed: 20)
        let loss = try (rotation.rotate(Tensor.normal(shape: [5, 7], seed: 21)) * Tensor.normal(shape: [5, 3], seed: 22)).sum()
        try loss.backward()
        let before = try #require(rotation.matrix.gradient)
        rotation.projectGradientOntoTangentSpace()
        let projected = try #require(rotation.matrix.gradient)
        let inner = try Tensor.matmul(projected, rotation.matrix.detached(), transposeB: true)
        #expect(close(try (inner + inner.transposed()).scalars, [Float](repeating: 0, count: 9), tolerance: 1e-5))
        // Projecting twice changes nothing more, and a tangent part was there to keep.
        rotation.projectGradientOntoTangentSpace()
        #expect(close(rotation.matrix.gradient!.scalars, projected.scalars, tolerance: 1e-6))
        #expect(projected.scalars != before.scalars)
    }

    @Test func invalidSizesAndNonFiniteEntriesThrow() throws {
        #expect(throws: TensorError.self) { try Rotation(rank: 5, dimension: 4, seed: 1) }
        #expect(throws: TensorError.self) { try Rotation(rank: 0, dimension: 4, seed: 1) }
        let rotation = try Rotation(rank: 2, dimension: 3, seed: 1)
        rotation.matrix.scalars[1] = .nan
        let error = try #require(throws: TensorError.self) { try rotation.retract() }
        #expect(error.description.contains("non-finite"))
    }

    @Test func orthogonalInitializationOfTallAndWideMatrices() throws {
        for (rows, columns) in [(3, 7), (7, 3)] {
            let matrix = Tensor.orthogonal(rows: rows, columns: columns, seed: 11)
            let gram = rows <= columns
                ? try Tensor.matmul(matrix, matrix, transposeB: true)
                : try Tensor.matmul(matrix, matrix, transposeA: true)
            let size = min(rows, columns)
            let identity = (0..<(size * size)).map { $0 % (size + 1) == 0 ? Float(1) : 0 }
            #expect(close(gram.scalars, identity, tolerance: 1e-5))
        }
    }
}
