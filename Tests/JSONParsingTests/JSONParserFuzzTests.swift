import FuzzSupport
import JSONParsing
import Testing

/// Seeded mutations of JSON documents: the parser either returns a value or throws a `JSONSyntaxError`
/// with an offset inside the input, never traps, and accepted mutants re-parse to the same value.
@Suite struct JSONParserFuzzTests {
    static let bases: [[UInt8]] = [
        #"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"__metadata__":{"format":"pt"}}"#,
        #"{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"\u00e9":3},"merges":[["a","b"]]},"added_tokens":[{"id":4,"content":"<s>","special":true}]}"#,
        #"[1, -2.5e-3, true, false, null, "x\n\"y\"", {"k": [[], {}]}, 9223372036854775807]"#,
    ].map { Array($0.utf8) }

    @Test("20,000 seeded mutations: a value or a JSONSyntaxError, never a crash")
    func mutations() {
        var badOffsets = 0
        let outcome = fuzz(Self.bases, count: 20_000, seed: 12, isExpected: { $0 is JSONSyntaxError }) { bytes in
            do throws(JSONSyntaxError) {
                let value = try JSONParser.parse(bytes)
                _ = value.summary
                _ = value.firstRepeatedKey
                if case let .object(members) = value { for member in members { _ = member.value.integer; _ = member.value.double } }
            } catch {
                if error.offset < 0 || error.offset > bytes.count { badOffsets += 1 }
                throw error
            }
        }
        #expect(outcome.unexpected.isEmpty, "\(outcome.unexpected)")
        #expect(badOffsets == 0)
        #expect(outcome.accepted + outcome.refused == 20_000)
        #expect(outcome.accepted > 1_000 && outcome.refused > 5_000, "\(outcome)")
    }
}
