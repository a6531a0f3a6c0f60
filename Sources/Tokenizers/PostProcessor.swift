/// The `post_processor` for a single sequence: `ByteLevel` (nothing to do for ids), `TemplateProcessing`
/// (special tokens around the sequence), or a `Sequence` of these. Others (Bert, Roberta) are refused.
struct PostProcessor: Equatable {
    /// Ids placed before and after the sequence when special tokens are asked for.
    var prefix: [Int] = []
    var suffix: [Int] = []
    /// Names of the steps, for `description`.
    var steps: [String] = []

    static func read(_ field: JSONField?) throws -> PostProcessor {
        var processor = PostProcessor()
        guard let field, !field.isNull else { return processor }
        try processor.add(field)
        return processor
    }

    private mutating func add(_ field: JSONField) throws {
        let type = try field.typeName()
        switch type {
        case "ByteLevel":
            steps.append("ByteLevel")
        case "Sequence":
            for step in try field.required("processors").elements() { try add(step) }
        case "TemplateProcessing":
            guard prefix.isEmpty, suffix.isEmpty else { throw field.unsupported("a second TemplateProcessing") }
            let specials = try field.required("special_tokens")
            var sawSequence = false
            for item in try field.required("single").elements() {
                if let special = try item.optional("SpecialToken") {
                    let name = try special.required("id").string()
                    guard let entry = try specials.optional(name) else {
                        throw special.invalid("special token \"\(name)\" is not in \(specials.path)")
                    }
                    let ids = try entry.required("ids").elements().map { try $0.index() }
                    if sawSequence { suffix += ids } else { prefix += ids }
                } else if let sequence = try item.optional("Sequence") {
                    let name = try sequence.required("id").string()
                    guard name == "A", !sawSequence else {
                        throw sequence.invalid("a single-sequence template holds sequence A once, found \"\(name)\"")
                    }
                    sawSequence = true
                } else {
                    throw item.invalid("expected {\"SpecialToken\": ...} or {\"Sequence\": ...}")
                }
            }
            guard sawSequence else { throw try field.required("single").invalid("the template has no sequence A") }
            steps.append("TemplateProcessing(\(prefix.count) before, \(suffix.count) after)")
        default:
            throw try field.required("type").unsupported("post-processor type `\(type)` (implemented: ByteLevel, TemplateProcessing, Sequence)")
        }
    }
}

/// The `decoder`: `ByteLevel` (alone or as the only step of a `Sequence`). Others are refused.
enum DecoderCheck {
    static func read(in root: JSONField) throws {
        guard let field = try root.optional("decoder"), !field.isNull else {
            throw TokenizerError.unsupported(origin: root.origin, field: "decoder",
                                             component: "decoder null (a byte-level BPE needs the ByteLevel decoder)")
        }
        try read(field)
    }

    private static func read(_ field: JSONField) throws {
        let type = try field.typeName()
        switch type {
        case "ByteLevel":
            return
        case "Sequence":
            let steps = try field.required("decoders").elements()
            guard steps.count == 1 else { throw field.unsupported("decoder Sequence of \(steps.count) steps (implemented: ByteLevel alone)") }
            try read(steps[0])
        default:
            throw try field.required("type").unsupported("decoder type `\(type)` (implemented: ByteLevel)")
        }
    }
}
