/// One step of the `pre_tokenizer`: each step turns every piece of text into smaller pieces.
enum PreTokenizerStep: Equatable {
    /// `Split` with a recognised pattern, behaviour `Isolated`, not inverted: every match is a piece.
    case split(SplitPattern)
    /// `ByteLevel`: a space put before each piece that does not start with one (`add_prefix_space`), then, when
    /// `use_regex` is true, the GPT-2 split. The byte-to-alphabet mapping itself is implicit: pieces stay raw
    /// bytes and the vocabulary is keyed by raw bytes.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// `Digits`: runs of numbers (general category N*, Rust's `char::is_numeric`) are pieces of their own, each
    /// number alone when `individual_digits` is true; the text between them stays whole.
    case digits(individually: Bool)

    /// The steps of the field, flattened; refuses any other type, pattern or behaviour by name. A byte-level
    /// tokenizer needs exactly one `ByteLevel` step and it must come last (a step after it would see the
    /// alphabet's scalars rather than text).
    static func read(in root: JSONField) throws -> [PreTokenizerStep] {
        guard let field = try root.optional("pre_tokenizer"), !field.isNull else {
            throw TokenizerError.unsupported(origin: root.origin, field: "pre_tokenizer",
                                             component: "pre_tokenizer null (a byte-level BPE needs the ByteLevel pre-tokenizer)")
        }
        let steps = try readSteps(field)
        let byteLevelCount = steps.filter { if case .byteLevel = $0 { return true } else { return false } }.count
        guard byteLevelCount == 1, case .byteLevel = steps.last! else {
            throw field.unsupported("pre-tokenizer arrangement (need exactly one ByteLevel step, last; found \(byteLevelCount))")
        }
        return steps
    }

    private static func readSteps(_ field: JSONField) throws -> [PreTokenizerStep] {
        let type = try field.typeName()
        switch type {
        case "Sequence":
            return try field.required("pretokenizers").elements().flatMap { try readSteps($0) }
        case "ByteLevel":
            let addPrefixSpace = try field.required("add_prefix_space").bool()
            let useRegex = try field.optional("use_regex").map { try $0.bool() } ?? true
            return [.byteLevel(addPrefixSpace: addPrefixSpace, useRegex: useRegex)]
        case "Digits":
            let individually = try field.optional("individual_digits").map { try $0.bool() } ?? false
            return [.digits(individually: individually)]
        case "Split":
            let patternField = try field.required("pattern")
            guard let regexField = try patternField.optional("Regex") else {
                throw patternField.unsupported("Split pattern kind (only {\"Regex\": ...} with a known pattern is implemented)")
            }
            let text = try regexField.string()
            guard let pattern = SplitPattern.known[text] else {
                throw regexField.unsupported("Split regex \"\(text)\" (implemented: the GPT-2, Llama-3 and Qwen2 patterns)")
            }
            let behavior = try field.required("behavior")
            guard try behavior.string() == "Isolated" else {
                throw behavior.unsupported("Split behavior `\(try behavior.string())` (implemented: Isolated)")
            }
            if let invert = try field.optional("invert"), try invert.bool() {
                throw invert.unsupported("Split invert true (implemented: false)")
            }
            return [.split(pattern)]
        default:
            throw try field.required("type").unsupported("pre-tokenizer type `\(type)` (implemented: ByteLevel, Split, Digits, Sequence)")
        }
    }

    var summary: String {
        switch self {
        case let .split(pattern): return "Split(\(pattern.name) pattern, Isolated)"
        case let .byteLevel(prefix, regex):
            return "ByteLevel(add_prefix_space: \(prefix), use_regex: \(regex)\(regex ? ", GPT-2 pattern" : ""))"
        case let .digits(individually): return "Digits(individual_digits: \(individually))"
        }
    }
}

extension PreTokenizerStep {
    /// Calls `emit(start, end)` for each piece `Digits` makes of `p[start..<end]`.
    static func splitDigits(_ p: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, individually: Bool,
                            _ emit: (Int, Int) -> Void) {
        var pieceStart = start
        var pieceIsNumber = false
        var i = start
        while i < end {
            let (value, length) = decodeScalar(p, at: i)
            let isNumber = UnicodeClasses.classOf(value) == .number
            if i > pieceStart, isNumber != pieceIsNumber || (isNumber && individually) {
                emit(pieceStart, i)
                pieceStart = i
            }
            pieceIsNumber = isNumber
            i += length
        }
        if end > pieceStart { emit(pieceStart, end) }
    }
}
