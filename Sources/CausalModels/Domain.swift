import Foundation
import Randomness

/// The finite set of values a variable can take, in a fixed order.
///
/// The order is the one used everywhere a domain is listed (truth tables, one-hot features, class
/// indices): booleans `false, true`; integers ascending; symbols as given; vectors
/// lexicographically with the last component varying fastest.
public struct Domain: Hashable, Sendable {
    private indirect enum Kind: Hashable, Sendable {
        case booleans
        case integers(ClosedRange<Int>)
        case symbols([String])
        case vectors(length: Int, element: Domain)
    }

    private let kind: Kind

    private init(_ kind: Kind) {
        self.kind = kind
    }

    /// `false` and `true`.
    public static let booleans = Domain(.booleans)

    /// The integers of `range`, ascending.
    public static func integers(_ range: ClosedRange<Int>) -> Domain {
        Domain(.integers(range))
    }

    /// The given symbols in the given order; a repeated symbol is kept once, at its first place.
    public static func symbols(_ symbols: [String]) -> Domain {
        var seen = Set<String>()
        return Domain(.symbols(symbols.filter { seen.insert($0).inserted }))
    }

    /// The vectors of `length` components, each a value of `element`.
    ///
    /// A length below 1 gives an empty domain, which a causal model rejects.
    public static func vectors(length: Int, of element: Domain) -> Domain {
        Domain(.vectors(length: length, element: element))
    }

    /// The number of values; `Int.max` stands for "at least `Int.max`" when the count overflows.
    public var count: Int {
        switch kind {
        case .booleans:
            return 2
        case .integers(let range):
            let (width, overflow) = range.upperBound.subtractingReportingOverflow(range.lowerBound)
            return overflow || width == .max ? .max : width + 1
        case .symbols(let symbols):
            return symbols.count
        case .vectors(let length, let element):
            guard length >= 1 else { return 0 }
            var total = 1
            for _ in 0..<length {
                let (product, overflow) = total.multipliedReportingOverflow(by: element.count)
                if overflow { return .max }
                total = product
            }
            return total
        }
    }

    /// Whether the domain has no value at all.
    public var isEmpty: Bool { count == 0 }

    /// Whether `value` belongs to the domain.
    public func contains(_ value: Value) -> Bool {
        switch (kind, value) {
        case (.booleans, .bool):
            return true
        case (.integers(let range), .int(let int)):
            return range.contains(int)
        case (.symbols(let symbols), .symbol(let symbol)):
            return symbols.contains(symbol)
        case (.vectors(let length, let element), .vector(let components)):
            return components.count == length && components.allSatisfy(element.contains)
        default:
            return false
        }
    }

    /// The position of `value` in the domain's order, or `nil` when it is not in the domain.
    ///
    /// Positions are meaningful for domains that can be listed, that is whose `count` is below `Int.max`.
    public func index(of value: Value) -> Int? {
        switch (kind, value) {
        case (.booleans, .bool(let bool)):
            return bool ? 1 : 0
        case (.integers(let range), .int(let int)):
            return range.contains(int) ? int &- range.lowerBound : nil
        case (.symbols(let symbols), .symbol(let symbol)):
            return symbols.firstIndex(of: symbol)
        case (.vectors(let length, let element), .vector(let components)) where components.count == length:
            var index = 0
            for component in components {
                guard let position = element.index(of: component) else { return nil }
                index = index &* element.count &+ position
            }
            return index
        default:
            return nil
        }
    }

    /// The value at position `index` of the domain's order; `index` must lie in `0..<count`.
    func value(at index: Int) -> Value {
        switch kind {
        case .booleans:
            return .bool(index == 1)
        case .integers(let range):
            return .int(range.lowerBound &+ index)
        case .symbols(let symbols):
            return .symbol(symbols[index])
        case .vectors(let length, let element):
            var components = [Value]()
            var rest = index
            for _ in 0..<length {
                components.append(element.value(at: rest % element.count))
                rest /= element.count
            }
            return .vector(components.reversed())
        }
    }

    /// Every value in the domain's order.
    ///
    /// - Throws: `CausalModelError.tooManyValues` when the domain has more than `limit` values.
    public func values(limit: Int = 1_000_000) throws -> [Value] {
        guard count <= limit else {
            throw CausalModelError.tooManyValues(of: "domain \(self)", count: count, limit: limit)
        }
        return (0..<count).map(value(at:))
    }

    /// A value drawn uniformly from the domain; the domain must not be empty.
    public func randomValue(using generator: inout SeededGenerator) -> Value {
        switch kind {
        case .integers(let range) where count == .max:
            // The range is too wide to index, so draw whole machine integers until one falls inside;
            // such a range holds at least half of them.
            while true {
                let candidate = Int(truncatingIfNeeded: generator.next())
                if range.contains(candidate) { return .int(candidate) }
            }
        case .vectors(let length, let element):
            return .vector((0..<length).map { _ in element.randomValue(using: &generator) })
        default:
            return value(at: generator.nextInt(below: count))
        }
    }

    /// The domain of the components when this is a vector domain, else `nil`.
    var vectorElement: Domain? {
        if case .vectors(_, let element) = kind { element } else { nil }
    }

    /// The number of components when this is a vector domain, else `nil`.
    var vectorLength: Int? {
        if case .vectors(let length, _) = kind { length } else { nil }
    }

    /// Whether the values are booleans.
    var holdsBooleans: Bool { kind == .booleans }

    /// Whether the values are integers.
    var holdsIntegers: Bool {
        if case .integers = kind { true } else { false }
    }

    /// The symbols when the values are symbols, else `nil`.
    var listedSymbols: [String]? {
        if case .symbols(let symbols) = kind { symbols } else { nil }
    }
}

extension Domain: CustomStringConvertible {
    /// A short description: `booleans`, `integers 0...9`, `symbols {a, b, c}`,
    /// `vectors of length 4 over booleans`; long symbol lists are abbreviated.
    public var description: String {
        switch kind {
        case .booleans:
            return "booleans"
        case .integers(let range):
            return "integers \(range.lowerBound)...\(range.upperBound)"
        case .symbols(let symbols) where symbols.count > 6:
            return "symbols {\(symbols.prefix(3).joined(separator: ", ")), …, \(symbols.last!)} (\(symbols.count) symbols)"
        case .symbols(let symbols):
            return "symbols {\(symbols.joined(separator: ", "))}"
        case .vectors(let length, let element):
            return "vectors of length \(length) over \(element)"
        }
    }

    /// A compact label for drawings: `bool`, `0...9`, `100 symbols`, `4 × bool`.
    var shortDescription: String {
        switch kind {
        case .booleans: "bool"
        case .integers(let range): "\(range.lowerBound)...\(range.upperBound)"
        case .symbols(let symbols): "\(symbols.count) symbols"
        case .vectors(let length, let element): "\(length) × \(element.shortDescription)"
        }
    }
}
