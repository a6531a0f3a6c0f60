import Testing
@testable import Tensors

/// Shapes from outside the program are checked before they are multiplied or allocated.
@Suite struct CheckedShapeTests {
    @Test func tensorFromAShapeWhoseProductOverflowsThrows() throws {
        for shape in [[1 << 32, 1 << 32], [1 << 61, 8], [Int.max, 2]] {
            let error = #expect(throws: TensorError.self) { try Tensor(shape: shape, scalars: []) }
            #expect(error?.description.contains("overflows") == true, "\(String(describing: error))")
        }
        #expect(throws: TensorError.self) { try Tensor(shape: [3, -1], scalars: []) }
        #expect(throws: TensorError.self) { try Tensor(shape: [2, 3], scalars: [1, 2, 3]) }
        // A zero dimension holds no elements whatever the others are.
        #expect(try Tensor(shape: [0, Int.max], scalars: []).elementCount == 0)
    }

    @Test func checkedFilledRefusesOverflowAndImpossibleMemory() throws {
        let overflow = #expect(throws: SizeError.self) { try Tensor.filled(0, shape: [1 << 61], checking: "flag --dims") }
        #expect(overflow == .overflow(quantity: "flag --dims", operation: "2305843009213693952 × 4"))
        let tooLarge = #expect(throws: SizeError.self) { try Tensor.filled(0, shape: [1 << 40, 1 << 10], checking: "config width") }
        #expect(tooLarge?.description.contains("config width: would need 4.0 PB") == true, "\(String(describing: tooLarge))")
        #expect(throws: SizeError.negative(quantity: "w", value: -2)) { try Tensor.filled(0, shape: [-2], checking: "w") }
        let ones = try Tensor.filled(1, shape: [2, 3], checking: "small")
        #expect(ones.shape == [2, 3] && ones.scalars == [Float](repeating: 1, count: 6))
    }
}
