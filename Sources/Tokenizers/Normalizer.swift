import Foundation

/// The `normalizer` of a tokenizer.json: none, `NFC`, or a `Sequence` of these. Anything else is refused.
enum Normalizer: Equatable {
    case nfc

    /// The normalizers the field asks for, in order (empty for null).
    static func read(_ field: JSONField?) throws -> [Normalizer] {
        guard let field, !field.isNull else { return [] }
        let type = try field.typeName()
        switch type {
        case "NFC":
            return [.nfc]
        case "Sequence":
            return try field.required("normalizers").elements().flatMap { try read($0) }
        default:
            throw try field.required("type").unsupported("normalizer type `\(type)` (implemented: NFC, Sequence)")
        }
    }

    /// `text` normalized, or nil when it is already in normal form (the common case, tested without copying).
    func apply(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        switch self {
        case .nfc:
            return Self.nfc(text)
        }
    }

    /// NFC, one chunk at a time. A chunk starts at an ASCII scalar (or the text's start) and runs to the next
    /// ASCII scalar: no canonical composition has an ASCII scalar as its second element and ASCII scalars are
    /// starters, so NFC(a + b) = NFC(a) + NFC(b) when b starts with ASCII. A chunk that passes the NFC quick
    /// check (every scalar NFC_Quick_Check = Yes, combining classes never decreasing between starters; see
    /// `NFCQuickCheck`) is already NFC and is kept as is; the others go through Foundation's NFC.
    private static func nfc(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let n = text.count
        // Fast exit: the whole text passes the quick check.
        var firstSuspect = -1
        var i = 0
        var lastClass: UInt8 = 0
        while i < n {
            if text[i] < 0xCC { i += 1; lastClass = 0; continue }   // ASCII, continuation bytes, scalars < U+0300
            let (value, length) = decodeScalar(text, at: i)
            let c = NFCQuickCheck.combiningClass(value)
            if c == NFCQuickCheck.notYes || (c != 0 && lastClass > c) { firstSuspect = i; break }
            lastClass = c
            i += length
        }
        guard firstSuspect >= 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(n + 16)
        // Everything before the ASCII scalar that starts the suspect's chunk is kept.
        var chunkStart = firstSuspect
        while chunkStart > 0, text[chunkStart] >= 0x80 { chunkStart -= 1 }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: text[0..<chunkStart]))
        i = chunkStart
        var suspect = false
        lastClass = 0
        while i <= n {
            if i == n || (text[i] < 0x80 && i > chunkStart) {
                let chunk = UnsafeBufferPointer(rebasing: text[chunkStart..<i])
                if suspect {
                    let string = String(decoding: chunk, as: UTF8.self)
                    output.append(contentsOf: string.precomposedStringWithCanonicalMapping.utf8)
                } else {
                    output.append(contentsOf: chunk)
                }
                if i == n { break }
                chunkStart = i
                suspect = false
                lastClass = 0
                i += 1
                continue
            }
            if text[i] >= 0xCC {
                let (value, length) = decodeScalar(text, at: i)
                let c = NFCQuickCheck.combiningClass(value)
                if c == NFCQuickCheck.notYes || (c != 0 && lastClass > c) { suspect = true }
                lastClass = c
                i += length
            } else {
                lastClass = 0
                i += 1
            }
        }
        if output.count == n, output.elementsEqual(text) { return nil }
        return output
    }
}

/// The NFC quick check's data: for each scalar, its canonical combining class when its NFC_Quick_Check is Yes,
/// or `notYes` (No: changed by NFC on its own; Maybe: the second scalar of some canonical composition).
/// Text whose scalars are all Yes, with combining classes never decreasing between starters, is already NFC.
///
/// Built once per process from the platform's own Unicode data: one Foundation NFC and one NFD call over all
/// basic-plane scalars, separated by line feeds (a starter that composes with nothing, so each scalar is
/// normalized on its own). A scalar that occurs after the first position of any decomposition is a possible
/// second element (Maybe, or No). Above the basic plane only emoji (U+1F000...U+1FAFF) and the CJK extension
/// planes outside the compatibility ideographs (U+20000...U+2F7FF, U+30000...U+3FFFF) are taken as Yes (class 0);
/// other scalars there are simply normalized (correct, only slower). No supplementary-plane composite has a
/// basic-plane second element.
enum NFCQuickCheck {
    static let notYes: UInt8 = 255

    static let basicPlane: [UInt8] = {
        var scalars: [Unicode.Scalar] = []
        for v in 0..<0x10000 where v != 0x0A {
            if let s = Unicode.Scalar(UInt32(v)) { scalars.append(s) }
        }
        var joined = String.UnicodeScalarView()
        for s in scalars { joined.append(s); joined.append("\n") }
        let text = String(joined)
        let composed = text.precomposedStringWithCanonicalMapping.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        let decomposed = text.decomposedStringWithCanonicalMapping.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        var table = [UInt8](repeating: notYes, count: 0x10000)
        guard composed.count == scalars.count + 1, decomposed.count == scalars.count + 1 else { return table }
        var secondElements = Set<UInt32>()
        for d in decomposed where d.count > 1 {
            for s in d.dropFirst() { secondElements.insert(s.value) }
        }
        for (k, s) in scalars.enumerated() {
            let c = composed[k]
            guard c.count == 1, c.first == s, !secondElements.contains(s.value) else { continue }
            table[Int(s.value)] = UInt8(min(254, Int(s.properties.canonicalCombiningClass.rawValue)))
        }
        table[0x0A] = 0
        return table
    }()

    @inline(__always)
    static func combiningClass(_ value: UInt32) -> UInt8 {
        if value < 0x10000 { return basicPlane.withUnsafeBufferPointer { $0[Int(value)] } }
        let yes = (0x1F000...0x1FAFF).contains(value) || (0x20000...0x2F7FF).contains(value) || (0x30000...0x3FFFF).contains(value)
        return yes ? 0 : notYes
    }
}
