/// A parsed JSON value (RFC 8259), shared by every reader of JSON files in the package
/// (safetensors headers and indexes, `tokenizer.json`).
///
/// Objects keep their members in file order, repeated keys included, so each reader decides
/// whether a repeat is an error (`firstRepeatedKey`) or the last one wins (`member(_:)`).
/// Numbers keep their literal text, so an integer field is read exactly (`integer`) and a
/// fraction, an exponent or an out-of-range integer is refused rather than rounded; `double`
/// reads any finite number.
public enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// The number's literal text, e.g. `"12"`, `"-0.5"`, `"1e30"` (already checked against the JSON grammar).
    case number(String)
    /// A string with its escapes decoded.
    case string(String)
    /// An array's elements in order.
    case array([JSONValue])
    /// Members in file order; a key may repeat.
    case object([(key: String, value: JSONValue)])

    /// Structural equality: same kinds, same literal texts, same members in the same order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The value as an `Int` when it is an integer literal that fits (`12`, `-3`); nil for fractions
    /// (`1.0`), exponents (`1e3`), integers outside `Int`'s range and non-numbers.
    public var integer: Int? {
        if case let .number(text) = self { return Int(text) }
        return nil
    }

    /// The value as a finite `Double` when it is a number; nil for non-numbers and for literals
    /// whose magnitude overflows a `Double` (`1e400`).
    public var double: Double? {
        guard case let .number(text) = self, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// The value when it is a string.
    public var string: String? {
        if case let .string(text) = self { return text }
        return nil
    }

    /// The value when it is a boolean.
    public var bool: Bool? {
        if case let .bool(value) = self { return value }
        return nil
    }

    /// The elements when the value is an array.
    public var array: [JSONValue]? {
        if case let .array(elements) = self { return elements }
        return nil
    }

    /// The members in file order when the value is an object.
    public var object: [(key: String, value: JSONValue)]? {
        if case let .object(members) = self { return members }
        return nil
    }

    /// Whether the value is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The last member named `key` of an object (a later repeat wins, as in serde_json maps);
    /// nil when absent or when the value is not an object.
    public func member(_ key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        for member in members.reversed() where member.key == key { return member.value }
        return nil
    }

    /// The first key that appears a second time among this object's members (not looking inside
    /// nested values); nil when every key is distinct or the value is not an object.
    public var firstRepeatedKey: String? {
        guard case let .object(members) = self else { return nil }
        var seen = Set<String>()
        for member in members where !seen.insert(member.key).inserted { return member.key }
        return nil
    }

    /// The JSON type's name with its article, for error messages ("an object", "a number").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// A short rendering for error messages (longer than 80 characters is cut with `...`).
    public var summary: String {
        let text: String
        switch self {
        case let .object(members): text = "{" + members.map { "\"\($0.key)\": \($0.value.summary)" }.joined(separator: ", ") + "}"
        case let .array(elements): text = "[" + elements.map(\.summary).joined(separator: ", ") + "]"
        case let .string(value): text = "\"\(value)\""
        case let .number(value): text = value
        case let .bool(value): text = value ? "true" : "false"
        case .null: text = "null"
        }
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }
}

/// Why some bytes are not JSON, and the byte offset (from the start of the parsed bytes) where reading failed.
public struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was wrong, e.g. "expected ',' or '}' in an object".
    public var reason: String
    /// The byte offset of the failure.
    public var offset: Int

    public init(reason: String, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// "`reason` at byte `offset`".
    public var description: String { "\(reason) at byte \(offset)" }
}
