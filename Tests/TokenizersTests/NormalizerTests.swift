import Foundation
import Testing
@testable import Tokenizers

/// The NFC normalizer's quick check and chunking give exactly Foundation's NFC of the whole text.
@Suite("NFC normalizer")
struct NormalizerTests {
    @Test("quick-check table: classes of Yes scalars, and No/Maybe scalars flagged")
    func quickCheckTable() {
        #expect(NFCQuickCheck.combiningClass(0x4E00) == 0)        // CJK ideograph
        #expect(NFCQuickCheck.combiningClass(0xAC00) == 0)        // Hangul syllable
        #expect(NFCQuickCheck.combiningClass(0x094D) == 9)        // Devanagari virama: Yes, class 9
        #expect(NFCQuickCheck.combiningClass(0x0E48) == 107)      // Thai tone mark
        #expect(NFCQuickCheck.combiningClass(0x0301) == NFCQuickCheck.notYes)   // Maybe (composes with e)
        #expect(NFCQuickCheck.combiningClass(0x1161) == NFCQuickCheck.notYes)   // Hangul vowel jamo: Maybe
        #expect(NFCQuickCheck.combiningClass(0x09BE) == NFCQuickCheck.notYes)   // Bengali AA sign: Maybe, class 0
        #expect(NFCQuickCheck.combiningClass(0xF900) == NFCQuickCheck.notYes)   // CJK compatibility ideograph: No
        #expect(NFCQuickCheck.combiningClass(0x212B) == NFCQuickCheck.notYes)   // Angstrom sign: No
        #expect(NFCQuickCheck.combiningClass(0x1F600) == 0)
        #expect(NFCQuickCheck.combiningClass(0x2F800) == NFCQuickCheck.notYes)
    }

    @Test("equals Foundation's NFC of the whole text on the corpus and on mixed seeded strings")
    func equalsFoundation() throws {
        let pieces = ["e", "\u{301}", "\u{323}", "a", " ", "\n", "Å", "\u{212B}", "\u{1100}", "\u{1161}", "\u{11A8}", "가",
                      "\u{0B47}", "\u{0B3E}", "क", "\u{094D}", "ष", "\u{0E48}", "น", "中", "\u{F900}", "😀", "\u{0651}",
                      "\u{064E}", "ب", "o\u{308}\u{304}", "\u{1E0A}\u{323}", "x", "1"]
        var state: UInt64 = 1
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33)
        }
        var texts = try TokenizerFixtures.corpusLines()
        for _ in 0..<3000 {
            texts.append((0..<(next() % 12 + 1)).map { _ in pieces[next() % pieces.count] }.joined())
        }
        for text in texts {
            let bytes = Array(text.utf8)
            let ours = bytes.withUnsafeBufferPointer { Normalizer.nfc.apply($0) } ?? bytes
            let reference = Array(text.precomposedStringWithCanonicalMapping.utf8)
            #expect(ours == reference, "\(text.debugDescription)")
        }
    }
}
