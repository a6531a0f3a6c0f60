import Testing
import Tensors

@Suite struct CheckedArithmeticTests {
    @Test func productsSumsAndByteCountsThatFitAreExact() throws {
        #expect(try CheckedSize.product([2, 3, 4], of: "shape") == 24)
        #expect(try CheckedSize.product([], of: "scalar shape") == 1)
        #expect(try CheckedSize.product([3, 0, Int.max], of: "empty shape") == 0)
        #expect(try CheckedSize.product([1 << 31, 1 << 31], of: "shape") == 1 << 62)
        #expect(try CheckedSize.sum([Int.max - 1, 1], of: "offsets") == Int.max)
        #expect(try CheckedSize.bytes(count: 1 << 40, elementSize: 4, of: "tensor") == 1 << 42)
        #expect(try CheckedSize.allocation(count: 256, elementSize: 4, of: "x", limit: 1024) == 1024)
        #expect(try CheckedSize.floatElements(of: [16, 16], of: "x", limit: 1024) == 256)
    }

    @Test func overflowIsAnErrorNamingTheQuantityAndOperands() throws {
        let square = try #require(throws: SizeError.self) { try CheckedSize.product([1 << 32, 1 << 32], of: "tensor 'w' shape") }
        #expect(square == .overflow(quantity: "tensor 'w' shape", operation: "4294967296 × 4294967296"))
        #expect(square.description.hasPrefix("tensor 'w' shape: 4294967296 × 4294967296 overflows"))
        // 2**61 elements fit in Int; their bytes as Float32 (2**63) do not.
        #expect(try CheckedSize.product([1 << 61], of: "n") == 1 << 61)
        let bytes = try #require(throws: SizeError.self) { try CheckedSize.bytes(count: 1 << 61, elementSize: 4, of: "F32 bytes") }
        #expect(bytes == .overflow(quantity: "F32 bytes", operation: "2305843009213693952 × 4"))
        let sum = try #require(throws: SizeError.self) { try CheckedSize.sum([Int.max, 1], of: "total size") }
        #expect(sum.description.contains("total size"))
        #expect(sum.description.contains("\(Int.max) + 1"))
    }

    @Test func negativeValuesAreErrors() throws {
        #expect(throws: SizeError.negative(quantity: "shape", value: -2)) { try CheckedSize.product([3, -2], of: "shape") }
        // A negative value is caught even where a zero would make the product 0.
        #expect(throws: SizeError.negative(quantity: "shape", value: -1)) { try CheckedSize.product([0, -1], of: "shape") }
        #expect(throws: SizeError.negative(quantity: "lengths", value: -5)) { try CheckedSize.sum([1, -5], of: "lengths") }
        #expect(throws: SizeError.negative(quantity: "count", value: -1)) { try CheckedSize.bytes(count: -1, elementSize: 4, of: "count") }
    }

    @Test func allocationsOverTheLimitSayHowMuchMemoryTheyWouldNeed() throws {
        let error = try #require(throws: SizeError.self) {
            try CheckedSize.allocation(count: 3 << 30, elementSize: 4, of: "Float32 copy of 'embed'", limit: 8 << 30)
        }
        #expect(error == .tooLarge(quantity: "Float32 copy of 'embed'", bytes: 12 << 30, limit: 8 << 30))
        #expect(error.description == "Float32 copy of 'embed': would need 12.0 GB (12884901888 bytes) of memory, "
            + "more than the limit of 8.0 GB (8589934592 bytes)")
        #expect(throws: SizeError.self) { try CheckedSize.floatElements(of: [1 << 20, 1 << 20], of: "x", limit: 1 << 30) }
        // The default limit is the machine's memory: a [2**40] Float32 tensor (4 TB) is refused.
        #expect(throws: SizeError.self) { try CheckedSize.floatElements(of: [1 << 40], of: "x") }
        #expect(CheckedSize.defaultAllocationLimit > 0)
    }

    @Test func readableByteCounts() {
        #expect(CheckedSize.readable(bytes: 512) == "512 bytes")
        #expect(CheckedSize.readable(bytes: 1536) == "1.5 KB (1536 bytes)")
        #expect(CheckedSize.readable(bytes: 500 << 20) == "500.0 MB (524288000 bytes)")
        #expect(CheckedSize.readable(bytes: Int.max).hasPrefix("8.0 EB"))
    }
}
