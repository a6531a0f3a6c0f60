import Foundation

/// A size, count or shape from outside the program (a file header, a config, a flag, a report)
/// that cannot be used: negative, overflowing `Int`, or too large to allocate.
public enum SizeError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A quantity that must not be negative, e.g. a dimension of -1.
    case negative(quantity: String, value: Int)
    /// Arithmetic on a quantity that overflows `Int`: `operation` shows the operands,
    /// e.g. `"4294967296 × 4294967296"`.
    case overflow(quantity: String, operation: String)
    /// An allocation larger than the limit: `bytes` is what it would need.
    case tooLarge(quantity: String, bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case let .negative(quantity, value):
            return "\(quantity): \(value) is negative; it must be 0 or more"
        case let .overflow(quantity, operation):
            return "\(quantity): \(operation) overflows a 64-bit integer (the largest is \(Int.max))"
        case let .tooLarge(quantity, bytes, limit):
            return "\(quantity): would need \(CheckedSize.readable(bytes: bytes)) of memory, "
                + "more than the limit of \(CheckedSize.readable(bytes: limit))"
        }
    }

    public var errorDescription: String? { description }
}

/// Checked arithmetic for sizes that come from outside the program: every product, sum and byte
/// count either fits in `Int` or throws `SizeError` naming the quantity, so a header claiming a
/// shape of `[2**32, 2**32]` gives an error instead of a trap or a wrapped-around allocation.
///
/// `what` names the quantity for the message, e.g. `"tensor 'wte.weight' shape [50257, 768]"`.
public enum CheckedSize {
    /// The largest allocation `allocation(count:elementSize:of:)` allows by default: the machine's
    /// physical memory (an allocation beyond it could never be served without swapping to death).
    public static let defaultAllocationLimit: Int = {
        let memory = ProcessInfo.processInfo.physicalMemory
        return memory > UInt64(Int.max) ? Int.max : Int(memory)
    }()

    /// The product of `dims` (1 for none), each checked to be non-negative.
    /// - Throws: `SizeError.negative` for a negative dimension, `.overflow` when the product
    ///   does not fit in `Int`.
    public static func product(_ dims: [Int], of what: String) throws -> Int {
        try checkNonNegative(dims, of: what)
        // A zero anywhere makes the product 0 whatever the others are, as the tensor holds no elements.
        if dims.contains(0) { return 0 }
        var product = 1
        for dimension in dims {
            let (result, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { throw SizeError.overflow(quantity: what, operation: dims.map(String.init).joined(separator: " × ")) }
            product = result
        }
        return product
    }

    /// The sum of `terms`, each checked to be non-negative.
    /// - Throws: `SizeError.negative` or `.overflow`, naming `what`.
    public static func sum(_ terms: [Int], of what: String) throws -> Int {
        try checkNonNegative(terms, of: what)
        var sum = 0
        for term in terms {
            let (result, overflow) = sum.addingReportingOverflow(term)
            if overflow { throw SizeError.overflow(quantity: what, operation: terms.map(String.init).joined(separator: " + ")) }
            sum = result
        }
        return sum
    }

    /// `count × elementSize`, the bytes of `count` elements.
    /// - Throws: `SizeError.negative` or `.overflow`, naming `what`.
    public static func bytes(count: Int, elementSize: Int, of what: String) throws -> Int {
        try product([count, elementSize], of: what)
    }

    /// The bytes of `count` elements of `elementSize` bytes, checked against `limit` before
    /// anything is allocated.
    /// - Throws: `SizeError.negative`, `.overflow`, or `.tooLarge` with how much memory it would need.
    public static func allocation(count: Int, elementSize: Int, of what: String, limit: Int = defaultAllocationLimit) throws -> Int {
        let bytes = try bytes(count: count, elementSize: elementSize, of: what)
        guard bytes <= limit else { throw SizeError.tooLarge(quantity: what, bytes: bytes, limit: limit) }
        return bytes
    }

    /// The element count of `shape` and its Float32 bytes checked against `limit`: what to call
    /// before creating a tensor of a shape read from outside.
    /// - Throws: `SizeError` naming `what`.
    public static func floatElements(of shape: [Int], of what: String, limit: Int = defaultAllocationLimit) throws -> Int {
        let count = try product(shape, of: what)
        _ = try allocation(count: count, elementSize: MemoryLayout<Float>.stride, of: what, limit: limit)
        return count
    }

    /// A byte count for people: `"512 bytes"`, `"1.5 GB"` (powers of 1024, with the exact count
    /// beside anything of a kilobyte or more).
    public static func readable(bytes: Int) -> String {
        let units = ["KB", "MB", "GB", "TB", "PB", "EB"]
        guard bytes >= 1024 else { return "\(bytes) bytes" }
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return "\(String(format: "%.1f", value)) \(units[unit]) (\(bytes) bytes)"
    }

    private static func checkNonNegative(_ values: [Int], of what: String) throws {
        if let negative = values.first(where: { $0 < 0 }) { throw SizeError.negative(quantity: what, value: negative) }
    }
}
