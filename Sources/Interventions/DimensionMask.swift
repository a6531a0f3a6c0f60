import Tensors

/// A constant 0/1 vector of `width` elements, 1 on `dimensions`: how the dimension-wise
/// interventions pick the coordinates they act on.
enum DimensionMask {
    /// The mask, validating the dimensions.
    /// - Throws: `InterventionError.invalidSubspace` naming a dimension outside `0..<width` or repeated.
    static func make(_ dimensions: [Int], width: Int, owner: String) throws -> Tensor {
        guard let bad = dimensions.first(where: { !(0..<width).contains($0) }) else {
            guard Set(dimensions).count == dimensions.count else {
                throw InterventionError.invalidSubspace("\(owner): dimensions \(dimensions) repeat an index")
            }
            var scalars = [Float](repeating: 0, count: width)
            for dimension in dimensions { scalars[dimension] = 1 }
            return Tensor(scalars)
        }
        throw InterventionError.invalidSubspace("\(owner): dimension \(bad) is outside 0..<\(width)")
    }
}
