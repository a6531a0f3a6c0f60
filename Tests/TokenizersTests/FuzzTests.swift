import Foundation
import Testing
import Tokenizers

/// Seeded mutations of a small tokenizer.json never crash the reader: each either reads (and then encodes
/// and decodes without trapping) or throws a `TokenizerError`.
@Suite("Tokenizer fuzz")
struct FuzzTests {
    /// SplitMix64: a fixed, seedable sequence.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let replacements: [String] = ["null", "true", "0", "-1", "1e300", "\"\"", "\"x\"", "[]", "{}", "[[]]",
                                          "\"BPE\"", "\"ByteLevel\"", "4294967296", "\"\\ud800\"", "{\"type\":\"NFC\"}"]

    func mutate(_ base: [UInt8], _ g: inout Generator) -> [UInt8] {
        var bytes = base
        switch Int.random(in: 0..<5, using: &g) {
        case 0:   // truncation
            bytes.removeLast(Int.random(in: 1...bytes.count, using: &g))
        case 1:   // byte flips
            for _ in 0..<Int.random(in: 1...4, using: &g) {
                let i = Int.random(in: 0..<bytes.count, using: &g)
                bytes[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &g)
            }
        case 2:   // a random byte written somewhere
            bytes[Int.random(in: 0..<bytes.count, using: &g)] = UInt8.random(in: 0...255, using: &g)
        case 3:   // type change: a JSON value after some ':' replaced by a value of another type
            let colons = bytes.indices.filter { bytes[$0] == UInt8(ascii: ":") }
            let at = colons[Int.random(in: 0..<colons.count, using: &g)] + 1
            var end = at
            var depth = 0
            var inString = false
            while end < bytes.count {
                let b = bytes[end]
                if inString {
                    if b == UInt8(ascii: "\\") { end += 1 } else if b == UInt8(ascii: "\"") { inString = false }
                } else if b == UInt8(ascii: "\"") { inString = true }
                else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") { depth += 1 }
                else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") { if depth == 0 { break }; depth -= 1 }
                else if b == UInt8(ascii: ","), depth == 0 { break }
                end += 1
            }
            let replacement = Self.replacements[Int.random(in: 0..<Self.replacements.count, using: &g)]
            bytes.replaceSubrange(at..<end, with: Array(replacement.utf8))
        default:  // a slice deleted or duplicated
            let i = Int.random(in: 0..<bytes.count, using: &g)
            let j = min(bytes.count, i + Int.random(in: 1...40, using: &g))
            if Bool.random(using: &g) { bytes.removeSubrange(i..<j) } else { bytes.insert(contentsOf: bytes[i..<j], at: i) }
        }
        return bytes
    }

    @Test("10,000 seeded mutations: thrown errors only, no crash")
    func mutations() throws {
        let base = Array(try TokenizerFixtures.text("llama3-tiny").utf8)
        var g = Generator(state: 20261123)
        var read = 0, refused = 0
        for _ in 0..<10_000 {
            let bytes = mutate(base, &g)
            do {
                let tokenizer = try Tokenizer(data: Data(bytes), origin: "mutant.json")
                read += 1
                let ids = tokenizer.encode("Hello, wörld! 123 <|eot_id|> 😀", addSpecialTokens: true)
                _ = try? tokenizer.decode(ids + [tokenizer.vocabularySize])
            } catch is TokenizerError {
                refused += 1
            }
        }
        #expect(read + refused == 10_000)
        #expect(read > 100 && refused > 1000, "read \(read), refused \(refused)")
    }
}
