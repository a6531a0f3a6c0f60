/// One of the regular expressions that byte-level tokenizers split text with, recognised by its exact text and
/// run by a hand-written scanner (not a general regex engine): the alternatives are tried in order at each
/// position, as the leftmost-first engines of `tokenizers` do, and every position starts a match, so the matches
/// tile the text.
///
/// The three families differ in a few parameters:
///
///     GPT-2   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///     Llama-3 (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
///     Qwen2   the Llama-3 pattern with \p{N} in place of \p{N}{1,3}
struct SplitPattern: Equatable, Sendable {
    /// How the letters alternative may begin.
    enum LetterPrefix: Equatable, Sendable {
        /// ` ?\p{L}+`: one optional space.
        case space
        /// `[^\r\n\p{L}\p{N}]?\p{L}+`: one optional scalar that is not a line break, letter or number.
        case anyButLineBreak
    }

    /// The family's name, for `description`.
    let name: String
    /// `(?i:...)` around the contractions.
    let caseInsensitiveContractions: Bool
    let letterPrefix: LetterPrefix
    /// nil: ` ?\p{N}+` (optional space, any count); n: `\p{N}{1,n}` (no space).
    let maximumDigits: Int?
    /// Llama-3 style: `[\r\n]*` after a run of other scalars, and the `\s*[\r\n]+` alternative.
    let lineBreakAlternatives: Bool

    static let gpt2 = SplitPattern(name: "GPT-2", caseInsensitiveContractions: false, letterPrefix: .space,
                                   maximumDigits: nil, lineBreakAlternatives: false)
    static let llama3 = SplitPattern(name: "Llama-3", caseInsensitiveContractions: true, letterPrefix: .anyButLineBreak,
                                     maximumDigits: 3, lineBreakAlternatives: true)
    static let qwen2 = SplitPattern(name: "Qwen2", caseInsensitiveContractions: true, letterPrefix: .anyButLineBreak,
                                    maximumDigits: 1, lineBreakAlternatives: true)

    /// The pattern texts recognised, exactly as they appear (JSON-decoded) in released tokenizer.json files.
    static let known: [String: SplitPattern] = [
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#: .gpt2,
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#: .llama3,
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#: .qwen2,
    ]

    /// Calls `emit(start, end)` for each match in `text[start..<end]`, in order; the matches tile the range.
    @inline(__always)
    func split(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, _ emit: (Int, Int) -> Void) {
        var i = start
        while i < end {
            let j = matchEnd(text, at: i, end: end)
            emit(i, j)
            i = j
        }
    }

    /// The end of the match that starts at `i` (always > i).
    @inline(__always)
    private func matchEnd(_ p: UnsafeBufferPointer<UInt8>, at i: Int, end: Int) -> Int {
        let (c0, l0) = decodeScalar(p, at: i)
        let k0 = UnicodeClasses.classOf(c0)
        let n1 = i + l0
        // 's|'t|'re|'ve|'m|'ll|'d
        if c0 == 0x27, let e = contractionEnd(p, at: n1, end: end) { return e }
        // letters, with the family's optional prefix
        if n1 < end, k0 != .letter {
            let prefixAllowed: Bool
            switch letterPrefix {
            case .space: prefixAllowed = c0 == 0x20
            case .anyButLineBreak: prefixAllowed = k0 != .number && c0 != 0x0A && c0 != 0x0D
            }
            if prefixAllowed, classAt(p, n1) == .letter { return runEnd(p, from: n1, end: end, of: .letter) }
        }
        if k0 == .letter { return runEnd(p, from: n1, end: end, of: .letter) }
        // numbers
        if let limit = maximumDigits {
            if k0 == .number { return runEnd(p, from: n1, end: end, of: .number, limit: limit - 1) }
        } else {
            if c0 == 0x20, n1 < end, classAt(p, n1) == .number { return runEnd(p, from: n1, end: end, of: .number) }
            if k0 == .number { return runEnd(p, from: n1, end: end, of: .number) }
        }
        // ` ?[^\s\p{L}\p{N}]+` (then `[\r\n]*` in the Llama-3 family)
        var others = -1
        if c0 == 0x20, n1 < end, classAt(p, n1) == .other {
            others = runEnd(p, from: n1, end: end, of: .other)
        } else if k0 == .other {
            others = runEnd(p, from: n1, end: end, of: .other)
        }
        if others >= 0 {
            if lineBreakAlternatives {
                while others < end, p[others] == 0x0A || p[others] == 0x0D { others += 1 }
            }
            return others
        }
        // Whitespace from here on. Scan the whole run once.
        var j = i
        var lastScalarStart = i
        var lastLineBreakEnd = -1
        while j < end {
            let (c, l) = decodeScalar(p, at: j)
            guard UnicodeClasses.classOf(c) == .whitespace else { break }
            lastScalarStart = j
            j += l
            if c == 0x0A || c == 0x0D { lastLineBreakEnd = j }
        }
        // `\s*[\r\n]+`: the greedy `\s*` backs off to the last line break of the run.
        if lineBreakAlternatives, lastLineBreakEnd > 0 { return lastLineBreakEnd }
        // `\s+(?!\S)`: the whole run at the end of the text; otherwise all but its last scalar (if that leaves any).
        if j == end { return j }
        if lastScalarStart > i { return lastScalarStart }
        // `\s+`
        return j
    }

    @inline(__always)
    private func classAt(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> ScalarClass {
        UnicodeClasses.classOf(decodeScalar(p, at: i).value)
    }

    /// The end of a run of scalars of class `kind` from `i`, taking at most `limit` of them.
    @inline(__always)
    private func runEnd(_ p: UnsafeBufferPointer<UInt8>, from i: Int, end: Int, of kind: ScalarClass, limit: Int = Int.max) -> Int {
        var j = i
        var taken = 0
        scan: while j < end, taken < limit {
            let b = p[j]
            if b < 0x80 {
                // ASCII fast path
                let k: ScalarClass
                switch b {
                case 0x41...0x5A, 0x61...0x7A: k = .letter
                case 0x30...0x39: k = .number
                case 0x09...0x0D, 0x20: k = .whitespace
                default: k = .other
                }
                guard k == kind else { break scan }
                j += 1
            } else {
                let (c, l) = decodeScalar(p, at: j)
                guard UnicodeClasses.classOf(c) == kind else { break scan }
                j += l
            }
            taken += 1
        }
        return j
    }

    /// After an apostrophe ending at `i`: the end of `s|t|re|ve|m|ll|d` (case-insensitively when asked), or nil.
    private func contractionEnd(_ p: UnsafeBufferPointer<UInt8>, at i: Int, end: Int) -> Int? {
        guard i < end else { return nil }
        func letter(_ k: Int) -> (UInt8, Int)? {
            guard k < end else { return nil }
            let b = p[k]
            if caseInsensitiveContractions {
                if b >= 0x41 && b <= 0x5A { return (b | 0x20, 1) }
                // U+017F LATIN SMALL LETTER LONG S folds to "s" under Unicode case-insensitive matching.
                if b == 0xC5, k + 1 < end, p[k + 1] == 0xBF { return (UInt8(ascii: "s"), 2) }
            }
            return (b, 1)
        }
        guard let (first, l1) = letter(i) else { return nil }
        switch first {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return i + l1
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            if let (second, l2) = letter(i + l1), second == UInt8(ascii: "e") { return i + l1 + l2 }
            return nil
        case UInt8(ascii: "l"):
            if let (second, l2) = letter(i + l1), second == UInt8(ascii: "l") { return i + l1 + l2 }
            return nil
        default:
            return nil
        }
    }
}
