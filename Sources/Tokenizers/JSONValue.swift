/// A parsed JSON value, as read from `tokenizer.json`.
///
/// A small parser of its own (RFC 8259) rather than Foundation's `JSONSerialization`, so that booleans and
/// numbers stay distinct on every platform, object key order is kept, and every failure reports its byte offset.
enum JSONValue {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members in file order (a later duplicate key wins in `member(_:)`, as in serde).
    case object([(String, JSONValue)])

    /// The JSON type's name, for error messages.
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The last member named `key` of an object; nil when absent or when self is not an object.
    func member(_ key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        for (name, value) in members.reversed() where name == key { return value }
        return nil
    }
}

/// Parses JSON text; errors carry the byte offset. Nesting deeper than `maximumDepth` is refused (no stack overflow).
struct JSONParser {
    private let bytes: [UInt8]
    private var index = 0
    private let origin: String
    private static let maximumDepth = 256

    static func parse(_ bytes: [UInt8], origin: String) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, origin: origin)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.failure("unexpected text after the top-level value") }
        return value
    }

    private init(bytes: [UInt8], origin: String) {
        self.bytes = bytes
        self.origin = origin
    }

    private func failure(_ reason: String) -> TokenizerError {
        .malformedJSON(origin: origin, offset: index, reason: reason)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth < Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
        guard index < bytes.count else { throw failure("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw failure("unexpected character, expected a value")
        }
    }

    private mutating func expectLiteral(_ literal: String) throws {
        let expected = Array(literal.utf8)
        guard index + expected.count <= bytes.count else { throw failure("unexpected end of input in a literal") }
        for k in 0..<expected.count where bytes[index + k] != expected[k] { throw failure("invalid literal") }
        index += expected.count
    }

    private mutating func parseObject(depth: Int) throws -> JSONValue {
        index += 1
        var members: [(String, JSONValue)] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a member name in quotes") }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':' after a member name") }
            index += 1
            skipWhitespace()
            members.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of input in an object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw failure("expected ',' or '}' in an object")
        }
    }

    private mutating func parseArray(depth: Int) throws -> JSONValue {
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of input in an array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            throw failure("expected ',' or ']' in an array")
        }
    }

    private mutating func parseNumber() throws -> Double {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func digits(_ p: inout JSONParser) -> Int {
            let s = p.index
            while p.index < p.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p.bytes[p.index]) { p.index += 1 }
            return p.index - s
        }
        guard digits(&self) > 0 else { throw failure("expected digits in a number") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw failure("expected digits after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw failure("expected digits in an exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw failure("number \(text) is out of range") }
        return value
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("unexpected end of input in a \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw failure("invalid hex digit in a \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// A string; the opening quote is at `index`. Invalid UTF-8 and lone surrogates are errors (as in serde_json).
    private mutating func parseString() throws -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let slice = bytes[start..<index]
                guard let s = String(validating: slice, as: UTF8.self) else { throw failure("string is not valid UTF-8") }
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw failure("control character inside a string") }
            index += 1
        }
        var out = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw failure("unterminated string") }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw failure("string is not valid UTF-8") }
                return s
            }
            if b < 0x20 { throw failure("control character inside a string") }
            if b != UInt8(ascii: "\\") { out.append(b); index += 1; continue }
            index += 1
            guard index < bytes.count else { throw failure("unterminated escape") }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw failure("lone leading surrogate in a \\u escape")
                    }
                    index += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw failure("invalid trailing surrogate in a \\u escape") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(code) {
                    throw failure("lone trailing surrogate in a \\u escape")
                }
                guard let scalar = Unicode.Scalar(code) else { throw failure("invalid code point in a \\u escape") }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw failure("invalid escape character")
            }
        }
    }
}

/// Typed access to a JSON value with the field path kept for error messages.
struct JSONField {
    /// The last step of a field's path; the full path text is only built for an error message.
    enum Step {
        case root
        case member(String)
        case index(Int)
    }

    let value: JSONValue
    let parentPath: String
    let step: Step
    let origin: String

    init(value: JSONValue, path: String, origin: String) {
        self.value = value
        self.parentPath = path
        self.step = .root
        self.origin = origin
    }

    private init(value: JSONValue, parentPath: String, step: Step, origin: String) {
        self.value = value
        self.parentPath = parentPath
        self.step = step
        self.origin = origin
    }

    /// The field's path, like `model.merges[3]`.
    var path: String {
        switch step {
        case .root: return parentPath
        case let .member(key): return parentPath.isEmpty ? key : "\(parentPath).\(key)"
        case let .index(i): return "\(parentPath)[\(i)]"
        }
    }

    func invalid(_ reason: String) -> TokenizerError { .invalidField(origin: origin, field: path, reason: reason) }
    func unsupported(_ component: String) -> TokenizerError { .unsupported(origin: origin, field: path, component: component) }

    var isNull: Bool { if case .null = value { return true } else { return false } }

    /// The member `key`, which must exist (self must be an object).
    func required(_ key: String) throws -> JSONField {
        guard case .object = value else { throw invalid("expected an object, found \(value.typeName)") }
        guard let member = value.member(key) else { throw invalid("missing field `\(key)`") }
        return JSONField(value: member, parentPath: path, step: .member(key), origin: origin)
    }

    /// The member `key`, nil when absent (self must be an object).
    func optional(_ key: String) throws -> JSONField? {
        guard case .object = value else { throw invalid("expected an object, found \(value.typeName)") }
        guard let member = value.member(key) else { return nil }
        return JSONField(value: member, parentPath: path, step: .member(key), origin: origin)
    }

    func string() throws -> String {
        guard case let .string(s) = value else { throw invalid("expected a string, found \(value.typeName)") }
        return s
    }

    func bool() throws -> Bool {
        guard case let .bool(b) = value else { throw invalid("expected a boolean, found \(value.typeName)") }
        return b
    }

    /// A non-negative integer no larger than `limit`.
    func index(limit: Int = Int(Int32.max)) throws -> Int {
        guard case let .number(d) = value else { throw invalid("expected a non-negative integer, found \(value.typeName)") }
        guard d >= 0, d <= Double(limit), d.rounded() == d else { throw invalid("expected an integer in 0...\(limit), found \(d)") }
        return Int(d)
    }

    func elements() throws -> [JSONField] {
        guard case let .array(items) = value else { throw invalid("expected an array, found \(value.typeName)") }
        let base = path
        return items.enumerated().map { JSONField(value: $0.element, parentPath: base, step: .index($0.offset), origin: origin) }
    }

    func members() throws -> [(String, JSONField)] {
        guard case let .object(items) = value else { throw invalid("expected an object, found \(value.typeName)") }
        let base = path
        return items.map { ($0.0, JSONField(value: $0.1, parentPath: base, step: .member($0.0), origin: origin)) }
    }

    /// The `type` member of a component object, e.g. "BPE" or "ByteLevel".
    func typeName() throws -> String { try required("type").string() }
}
