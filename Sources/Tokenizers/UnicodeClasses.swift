/// The character classes the split patterns use, as the regex engines of `tokenizers` define them:
/// `\p{L}` is general category L* (Lu, Ll, Lt, Lm, Lo), `\p{N}` is N* (Nd, Nl, No), and `\s` is the
/// Unicode White_Space property. Anything else is "other" (`[^\s\p{L}\p{N}]`: punctuation, symbols, emoji,
/// combining marks, joiners).
enum ScalarClass: UInt8 {
    case other = 0
    case letter = 1
    case number = 2
    case whitespace = 3
}

enum UnicodeClasses {
    /// The class of every scalar below U+10000, computed once from the standard library's Unicode tables
    /// (65,536 one-byte entries); scalars above are looked up directly (rare: emoji and historic scripts).
    private static let basicPlane: [ScalarClass] = (0..<0x10000).map { v in
        guard let s = Unicode.Scalar(UInt32(v)) else { return .other }   // surrogates never occur in a String
        return computeClass(s)
    }

    static func computeClass(_ s: Unicode.Scalar) -> ScalarClass {
        let p = s.properties
        if p.isWhitespace { return .whitespace }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    @inline(__always)
    static func classOf(_ value: UInt32) -> ScalarClass {
        if value < 0x10000 { return basicPlane.withUnsafeBufferPointer { $0[Int(value)] } }
        guard let s = Unicode.Scalar(value) else { return .other }
        return computeClass(s)
    }

    /// Alphanumeric or underscore, as Rust's `char::is_alphanumeric() || c == '_'` (the `single_word` test of
    /// added tokens): Alphabetic property or general category N*.
    static func isWordCharacter(_ s: Unicode.Scalar) -> Bool {
        if s == "_" { return true }
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return s.properties.isAlphabetic
        }
    }
}

/// Decodes one scalar of valid UTF-8 at `i` (the input always comes from a Swift `String`).
@inline(__always)
func decodeScalar(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> (value: UInt32, length: Int) {
    let b0 = UInt32(p[i])
    if b0 < 0x80 { return (b0, 1) }
    if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2) }
    if b0 < 0xF0 { return ((b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3) }
    return ((b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6 | UInt32(p[i + 3] & 0x3F), 4)
}
