import JSONParsing

extension JSONParser {
    /// Parses `tokenizer.json` bytes, reporting a syntax error as `TokenizerError.malformedJSON` naming `origin`.
    static func parseTokenizerFile(_ bytes: [UInt8], origin: String) throws -> JSONValue {
        do throws(JSONSyntaxError) { return try parse(bytes) } catch {
            throw TokenizerError.malformedJSON(origin: origin, offset: error.offset, reason: error.reason)
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

    /// A non-negative integer no larger than `limit`, read exactly from its literal (`1.0` and `1e3` are refused, as serde does).
    func index(limit: Int = Int(Int32.max)) throws -> Int {
        guard case let .number(text) = value else { throw invalid("expected a non-negative integer, found \(value.typeName)") }
        guard let n = value.integer, n >= 0, n <= limit else { throw invalid("expected an integer in 0...\(limit), found \(text)") }
        return n
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
