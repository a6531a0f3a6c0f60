import Foundation

/// The value of one variable of a causal model: a boolean, an integer, a symbol, or a fixed-length
/// vector of values.
///
/// Values are written to JSON as the plain JSON value (`true`, `7`, `"o12"`, `[true, false]`), so a
/// dataset line reads like the assignment it stores. Literals build values directly:
/// `let inputs: Assignment = ["A": true, "X": 3, "W": "o12"]`.
public enum Value: Hashable, Sendable {
    /// A truth value.
    case bool(Bool)
    /// An integer.
    case int(Int)
    /// A symbol from a finite vocabulary, such as an object of hierarchical equality.
    case symbol(String)
    /// A fixed-length vector whose components are themselves values.
    case vector([Value])

    /// The boolean, or `nil` when this value is not a boolean.
    public var boolValue: Bool? {
        if case .bool(let bool) = self { bool } else { nil }
    }

    /// The integer, or `nil` when this value is not an integer.
    public var intValue: Int? {
        if case .int(let int) = self { int } else { nil }
    }

    /// The symbol, or `nil` when this value is not a symbol.
    public var symbolValue: String? {
        if case .symbol(let symbol) = self { symbol } else { nil }
    }

    /// The components, or `nil` when this value is not a vector.
    public var vectorValue: [Value]? {
        if case .vector(let components) = self { components } else { nil }
    }
}

extension Value: CustomStringConvertible {
    /// The value as a person writes it: `true`, `7`, `o12`, `[1, 0, 1]`.
    public var description: String {
        switch self {
        case .bool(let bool): String(bool)
        case .int(let int): String(int)
        case .symbol(let symbol): symbol
        case .vector(let components): "[" + components.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

extension Value: Codable {
    /// Reads the plain JSON value; booleans are tried before integers so that `true` never becomes `1`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let int = try? container.decode(Int.self) {
            self = .int(int)
        } else if let symbol = try? container.decode(String.self) {
            self = .symbol(symbol)
        } else if let components = try? container.decode([Value].self) {
            self = .vector(components)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected a value: a boolean, an integer, a string (symbol) or an array (vector)"
            )
        }
    }

    /// Writes the plain JSON value.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .bool(let bool): try container.encode(bool)
        case .int(let int): try container.encode(int)
        case .symbol(let symbol): try container.encode(symbol)
        case .vector(let components): try container.encode(components)
        }
    }
}

extension Value: ExpressibleByBooleanLiteral {
    /// `true` and `false` are boolean values.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension Value: ExpressibleByIntegerLiteral {
    /// An integer literal is an integer value.
    public init(integerLiteral value: Int) {
        self = .int(value)
    }
}

extension Value: ExpressibleByStringLiteral {
    /// A string literal is a symbol.
    public init(stringLiteral value: String) {
        self = .symbol(value)
    }
}

extension Value: ExpressibleByArrayLiteral {
    /// An array literal is a vector.
    public init(arrayLiteral elements: Value...) {
        self = .vector(elements)
    }
}
