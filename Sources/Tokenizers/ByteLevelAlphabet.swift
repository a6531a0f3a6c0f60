/// GPT-2's reversible map between the 256 byte values and 256 printable Unicode scalars.
///
/// Byte-level BPE vocabularies spell every token with these scalars: printable Latin-1 bytes (`!`...`~`,
/// `¡`...`¬`, `®`...`ÿ`) stand for themselves, and the other 68 bytes (controls, space, 0x7F...0xA0, 0xAD) are
/// shifted to U+0100 onwards in byte order, so the space 0x20 is `Ġ` (U+0120) and the newline 0x0A is `Ċ` (U+010A).
enum ByteLevelAlphabet {
    /// `scalarForByte[b]` is the scalar that spells byte `b`.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var shifted: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt8(b))
            } else {
                table[b] = Unicode.Scalar(shifted)!
                shifted += 1
            }
        }
        return table
    }()

    /// The byte a scalar spells, or nil for a scalar outside the alphabet.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = scalar.value
        if v < 256 {
            let printable = (0x21...0x7E).contains(v) || (0xA1...0xAC).contains(v) || (0xAE...0xFF).contains(v)
            return printable ? UInt8(v) : nil
        }
        guard v < 256 + 68 else { return nil }
        return byteForShifted[Int(v - 256)]
    }

    private static let byteForShifted: [UInt8] = {
        var out: [UInt8] = []
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if !printable { out.append(UInt8(b)) }
        }
        return out
    }()

    /// The raw bytes a byte-level token string spells, or nil when a scalar is outside the alphabet
    /// (such a token, e.g. a special token's own text, can never come out of byte-level pre-tokenization).
    static func bytes(spelledBy token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            guard let b = byte(for: scalar) else { return nil }
            out.append(b)
        }
        return out
    }

    /// The byte-level spelling of raw bytes.
    static func spelling(of bytes: some Sequence<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(scalarForByte[Int(b)]) }
        return String(s)
    }
}
