import Foundation

/// The one source of randomness in Interchange: a seeded, reproducible generator.
///
/// Algorithm: xoshiro256** (Blackman and Vigna, 2018), whose 256-bit state is filled from the
/// 64-bit seed by four steps of SplitMix64. The same seed gives the same sequence on every run
/// and every machine; no state is shared between generators.
///
/// Derived draws:
/// - `nextUniform()`: the top 53 bits of one draw, scaled to a `Double` in [0, 1).
/// - `nextUniformFloat()`: the top 24 bits of one draw, scaled to a `Float` in [0, 1).
/// - `nextNormal()`: the Box–Muller transform of two uniform draws (one normal per call; the
///   second value of the pair is discarded so that every call consumes exactly two draws).
/// - `nextInt(below:)`: Lemire's multiply-shift with rejection, unbiased.
///
/// `SeededGenerator` conforms to `RandomNumberGenerator`, so `shuffled(using:)` and friends work too,
/// but their algorithms belong to the standard library; Interchange's own code uses the draws above.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// The seed this generator started from, kept so that reports can print it.
    public let seed: UInt64

    /// Creates a generator whose sequence is fully determined by `seed`.
    public init(seed: UInt64) {
        self.seed = seed
        var splitMix = seed
        func nextSplitMix() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (nextSplitMix(), nextSplitMix(), nextSplitMix(), nextSplitMix())
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, by: 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotateLeft(state.3, by: 45)
        return result
    }

    /// A uniform `Double` in [0, 1).
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform `Float` in [0, 1).
    public mutating func nextUniformFloat() -> Float {
        Float(next() >> 40) * 0x1.0p-24
    }

    /// A standard normal draw (mean 0, variance 1) by Box–Muller.
    public mutating func nextNormal() -> Double {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let radius = (-2 * log(1 - nextUniform())).squareRoot()
        let angle = 2 * Double.pi * nextUniform()
        return radius * cos(angle)
    }

    /// A uniform integer in `0..<upperBound`; `upperBound` must be positive.
    public mutating func nextInt(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "nextInt(below:) needs a positive bound, got \(upperBound)")
        let bound = UInt64(upperBound)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return Int(product.high)
    }

    /// A uniform element of a non-empty collection.
    @inlinable
    public mutating func element<C: RandomAccessCollection>(of collection: C) -> C.Element {
        let offset = nextInt(below: collection.count)
        return collection[collection.index(collection.startIndex, offsetBy: offset)]
    }

    /// The elements of `collection` in a uniformly random order (Fisher–Yates with `nextInt(below:)`).
    @inlinable
    public mutating func permutation<C: Collection>(of collection: C) -> [C.Element] {
        var elements = Array(collection)
        var index = elements.count - 1
        while index > 0 {
            elements.swapAt(index, nextInt(below: index + 1))
            index -= 1
        }
        return elements
    }

    private func rotateLeft(_ value: UInt64, by amount: UInt64) -> UInt64 {
        (value << amount) | (value >> (64 - amount))
    }
}
