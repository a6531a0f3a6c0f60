import Foundation
import Randomness

/// How one input variable's value becomes numbers a network reads.
///
/// For a vector domain the encoding applies to each component and the results are concatenated.
public enum FeatureEncoding: Hashable, Sendable {
    /// A boolean as one feature: 0 or 1.
    case binary
    /// One feature per value of the domain: 1 at the value's position, 0 elsewhere.
    case oneHot
    /// An integer as one feature holding the integer itself.
    case scalar
    /// A symbol as a fixed vector; every symbol of the domain needs one, all of the same length.
    case embedding([String: [Float]])

    /// An embedding giving each symbol a vector with components uniform in [-1, 1), drawn in the
    /// order of `symbols` from `seed` (as pyvene's `randvec` does for hierarchical equality).
    ///
    /// - Throws: `CausalModelError.invalidArgument` when `dimension` is below 1.
    public static func randomEmbedding(of symbols: [String], dimension: Int, seed: UInt64) throws -> FeatureEncoding {
        guard dimension >= 1 else {
            throw CausalModelError.invalidArgument(name: "the embedding dimension", value: "\(dimension)", expected: "1 or more")
        }
        var generator = SeededGenerator(seed: seed)
        var table = [String: [Float]]()
        for symbol in symbols {
            table[symbol] = (0..<dimension).map { _ in 2 * generator.nextUniformFloat() - 1 }
        }
        return .embedding(table)
    }

    /// The encoding a variable gets unless told otherwise: binary for booleans, one-hot for
    /// integers and symbols, applied componentwise to vectors.
    static func standard(for domain: Domain) -> FeatureEncoding {
        if let element = domain.vectorElement { return standard(for: element) }
        return domain.holdsBooleans ? .binary : .oneHot
    }

    /// The number of features a value of `domain` takes.
    ///
    /// - Throws: `CausalModelError.invalidEncoding` when the encoding does not fit the domain.
    func width(for domain: Domain, of variable: String) throws -> Int {
        if let element = domain.vectorElement, let length = domain.vectorLength {
            return length * (try width(for: element, of: variable))
        }
        switch self {
        case .binary:
            guard domain.holdsBooleans else { throw mismatch(variable, "binary encoding needs booleans, the domain is \(domain)") }
            return 1
        case .scalar:
            guard domain.holdsIntegers else { throw mismatch(variable, "scalar encoding needs integers, the domain is \(domain)") }
            return 1
        case .oneHot:
            guard domain.count <= Self.oneHotLimit else {
                throw mismatch(variable, "one-hot encoding of \(domain) would need more than \(Self.oneHotLimit) features")
            }
            return domain.count
        case .embedding(let table):
            guard let symbols = domain.listedSymbols else {
                throw mismatch(variable, "an embedding needs symbols, the domain is \(domain)")
            }
            if let missing = symbols.first(where: { table[$0] == nil }) {
                throw mismatch(variable, "the embedding has no vector for symbol '\(missing)'")
            }
            let widths = Set(symbols.compactMap { table[$0]?.count })
            guard widths.count == 1, let width = widths.first, width >= 1 else {
                throw mismatch(variable, "the embedding vectors must all have the same length, 1 or more; found lengths \(widths.sorted())")
            }
            return width
        }
    }

    /// The features of `value`, which lies in `domain` and fits this encoding.
    func features(of value: Value, in domain: Domain) -> [Float] {
        if let element = domain.vectorElement, let components = value.vectorValue {
            return components.flatMap { features(of: $0, in: element) }
        }
        switch (self, value) {
        case (.binary, .bool(let bool)):
            return [bool ? 1 : 0]
        case (.scalar, .int(let int)):
            return [Float(int)]
        case (.embedding(let table), .symbol(let symbol)):
            return table[symbol] ?? []
        default:
            var oneHot = [Float](repeating: 0, count: domain.count)
            if let index = domain.index(of: value) { oneHot[index] = 1 }
            return oneHot
        }
    }

    private static let oneHotLimit = 1_000_000

    private func mismatch(_ variable: String, _ reason: String) -> CausalModelError {
        .invalidEncoding(variable: variable, reason: reason)
    }
}
