import Foundation

/// What can go wrong in a tensor op; every message names the op and what was expected.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// Two operands whose shapes do not fit together, e.g. `matmul` with inner dimensions 3 and 4.
    case shapeMismatch(op: String, shapes: [[Int]], reason: String)
    /// One shape that is not valid for the op, e.g. a reshape that changes the element count.
    case invalidShape(op: String, shape: [Int], reason: String)
    /// An axis that the tensor does not have.
    case invalidAxis(op: String, axis: Int, rank: Int)
    /// An index outside its valid range, e.g. a token id not in the embedding table.
    case indexOutOfRange(op: String, index: Int, validRange: Range<Int>)
    /// An argument that is not valid, with why.
    case invalidArgument(op: String, reason: String)
    /// A LAPACK routine that reported failure.
    case lapackFailure(routine: String, info: Int32)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, shapes, reason):
            return "\(op): shapes \(shapes.map { "\($0)" }.joined(separator: " and ")) do not fit: \(reason)"
        case let .invalidShape(op, shape, reason):
            return "\(op): shape \(shape) is not valid: \(reason)"
        case let .invalidAxis(op, axis, rank):
            return "\(op): axis \(axis) does not exist in a tensor of rank \(rank) (valid: \(-rank)..<\(rank))"
        case let .indexOutOfRange(op, index, validRange):
            return "\(op): index \(index) is outside the valid range \(validRange.lowerBound)..<\(validRange.upperBound)"
        case let .invalidArgument(op, reason):
            return "\(op): \(reason)"
        case let .lapackFailure(routine, info):
            return "LAPACK \(routine) failed with info = \(info)"
        }
    }
}

extension TensorError: LocalizedError {
    public var errorDescription: String? { description }
}
