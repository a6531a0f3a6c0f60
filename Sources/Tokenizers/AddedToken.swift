/// A token the file adds outside the BPE model (`added_tokens`): special tokens like `<|endoftext|>`, found in
/// the text before any other processing and given their id directly.
public struct AddedToken: Equatable, Sendable {
    /// The token's text.
    public let content: String
    /// Its id.
    public let id: Int
    /// Special tokens are dropped by `decode(_:skipSpecialTokens: true)`.
    public let special: Bool
    /// Matched only when not inside a word (no letter, digit or `_` on either side).
    public let singleWord: Bool
    /// The match takes the whitespace on its left.
    public let leftStrip: Bool
    /// The match takes the whitespace on its right.
    public let rightStrip: Bool
    /// Matched in the normalized text (true) or in the raw text (false).
    public let normalized: Bool

    init(_ field: JSONField, maximumID: Int) throws {
        content = try field.required("content").string()
        guard !content.isEmpty else { throw try field.required("content").invalid("an added token's content is empty") }
        id = try field.required("id").index(limit: maximumID)
        func flag(_ name: String, _ fallback: Bool) throws -> Bool {
            guard let f = try field.optional(name), !f.isNull else { return fallback }
            return try f.bool()
        }
        special = try flag("special", false)
        singleWord = try flag("single_word", false)
        leftStrip = try flag("lstrip", false)
        rightStrip = try flag("rstrip", false)
        normalized = try flag("normalized", !special)
    }
}

/// Finds added tokens in text: leftmost-longest non-overlapping matches (like the Aho-Corasick automaton of
/// `tokenizers`), then each match's `single_word`, `lstrip` and `rstrip` applied exactly as there.
struct AddedTokenMatcher {
    private struct Pattern {
        let bytes: [UInt8]
        let token: AddedToken
    }
    /// Patterns by first byte, longest first.
    private let byFirstByte: [[Pattern]]
    /// Whether some pattern starts with the byte: the scan skips all other bytes without touching the patterns.
    private let startsPattern: [Bool]
    let isEmpty: Bool

    /// `contents` gives the text to match for each token (the normalized content for normalized tokens).
    init(_ tokens: [(token: AddedToken, text: String)]) {
        var table = [[Pattern]](repeating: [], count: 256)
        for (token, text) in tokens {
            let bytes = Array(text.utf8)
            guard let first = bytes.first else { continue }
            table[Int(first)].append(Pattern(bytes: bytes, token: token))
        }
        for i in 0..<256 { table[i].sort { $0.bytes.count > $1.bytes.count } }
        byFirstByte = table
        startsPattern = table.map { !$0.isEmpty }
        isEmpty = tokens.isEmpty
    }

    /// A piece of text: an added token (with its id) or a range to process further.
    enum Piece {
        case token(Int)
        case text(Int, Int)
    }

    /// Splits `p[start..<end]` into added tokens and the text between them (empty ranges omitted).
    func split(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into out: inout [Piece]) {
        if isEmpty {
            if end > start { out.append(.text(start, end)) }
            return
        }
        var textStart = start      // `start_offset` of tokenizers: where the pending text begins
        var i = start
        while i < end {
            if !startsPattern.withUnsafeBufferPointer({ $0[Int(p[i])] }) { i += 1; continue }
            guard let (pattern, matchEnd) = longestMatch(p, at: i, end: end) else { i += 1; continue }
            var s = i, e = matchEnd
            i = matchEnd                       // the automaton resumes after the raw match either way
            let token = pattern.token
            if token.singleWord {
                let startOK = s == start || !lastScalarIsWordCharacter(p, start, s)
                let endOK = e == end || !firstScalarIsWordCharacter(p, e, end)
                if !startOK || !endOK { continue }
            }
            if token.leftStrip {
                var k = s
                while k > start {
                    var b = k - 1
                    while b > start, p[b] & 0xC0 == 0x80 { b -= 1 }
                    guard isWhitespace(p, b) else { break }
                    k = b
                }
                s = max(k, textStart)
            }
            if token.rightStrip {
                while e < end, isWhitespace(p, e) { e += decodeScalar(p, at: e).length }
            }
            if textStart < s { out.append(.text(textStart, s)) }
            out.append(.token(token.id))
            textStart = e
            i = max(i, e)
        }
        if textStart < end { out.append(.text(textStart, end)) }
    }

    private func longestMatch(_ p: UnsafeBufferPointer<UInt8>, at i: Int, end: Int) -> (Pattern, Int)? {
        for pattern in byFirstByte[Int(p[i])] {
            let n = pattern.bytes.count
            guard i + n <= end else { continue }
            var same = true
            pattern.bytes.withUnsafeBufferPointer { b in
                for k in 1..<n where b[k] != p[i + k] { same = false; break }
            }
            if same { return (pattern, i + n) }
        }
        return nil
    }

    private func isWhitespace(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        UnicodeClasses.classOf(decodeScalar(p, at: i).value) == .whitespace
    }

    private func lastScalarIsWordCharacter(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var b = end - 1
        while b > start, p[b] & 0xC0 == 0x80 { b -= 1 }
        return Unicode.Scalar(decodeScalar(p, at: b).value).map(UnicodeClasses.isWordCharacter) ?? false
    }

    private func firstScalarIsWordCharacter(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        Unicode.Scalar(decodeScalar(p, at: start).value).map(UnicodeClasses.isWordCharacter) ?? false
    }
}
