import JSONParsing
import Testing

/// The shared JSON parser: values, exact integers, key order and repeats, and refusals with byte offsets.
@Suite struct JSONParserTests {
    func parse(_ text: String, maximumDepth: Int = JSONParser.defaultMaximumDepth) throws(JSONSyntaxError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8), maximumDepth: maximumDepth)
    }

    func failure(_ text: String) -> JSONSyntaxError? {
        do throws(JSONSyntaxError) { _ = try parse(text); return nil } catch { return error }
    }

    @Test func valuesOfEveryKind() throws {
        let value = try parse(#" {"b": [true, false, null], "a": -12.5e1, "s": "x\ty\u00e9\ud83d\ude00", "o": {}} "#)
        #expect(value == .object([
            (key: "b", value: .array([.bool(true), .bool(false), .null])),
            (key: "a", value: .number("-12.5e1")),
            (key: "s", value: .string("x\tyé😀")),
            (key: "o", value: .object([])),
        ]))
        #expect(value.member("a")?.double == -125)
        #expect(value.member("a")?.integer == nil)
        #expect(value.member("s")?.string == "x\tyé😀")
        #expect(value.member("b")?.array?.first?.bool == true)
        #expect(value.object?.map(\.key) == ["b", "a", "s", "o"])
        #expect(value.member("missing") == nil)
    }

    @Test func integersAreExactAndOnlyWhenTheyFit() throws {
        #expect(try parse("9223372036854775807").integer == Int.max)
        #expect(try parse("-9223372036854775808").integer == Int.min)
        #expect(try parse("9223372036854775808").integer == nil)  // one past Int.max: not rounded
        #expect(try parse("9007199254740993").integer == 9_007_199_254_740_993)  // not representable as a Double
        #expect(try parse("1.0").integer == nil)
        #expect(try parse("1e3").integer == nil)
        #expect(try parse("1e3").double == 1000)
        #expect(try parse("1e400").double == nil)  // overflows a Double: not infinity
        #expect(try parse("-0").double == 0)
        #expect(try parse("\"1\"").integer == nil)
    }

    @Test func repeatedKeysAreKeptSoTheReaderDecides() throws {
        let value = try parse(#"{"a": 1, "b": 2, "a": 3}"#)
        #expect(value.object?.count == 3)
        #expect(value.firstRepeatedKey == "a")
        #expect(value.member("a")?.integer == 3)  // the last one wins for readers that allow repeats
        #expect(try parse(#"{"a": {"x": 1, "x": 2}}"#).firstRepeatedKey == nil)  // only this object's own keys
    }

    static let refusalCases: [(String, String, Int)] = [
        ("", "unexpected end of input", 0),
        ("{not json", "expected a string key", 1),
        ("{} x", "unexpected text after the JSON value", 3),
        (#"{"a":1,}"#, "expected a string key", 7),
        ("[1,]", "unexpected character", 3),
        ("[01]", "expected ',' or ']' in an array", 2),
        ("-", "expected a digit", 1),
        ("1.", "expected a digit after '.'", 2),
        ("1e+", "expected a digit in the exponent", 3),
        ("tru", "expected 'true'", 0),
        ("nul", "expected 'null'", 0),
        ("\"abc", "unterminated string", 4),
        ("\"a\u{01}\"", "control character in a string", 2),
        (#""\x""#, "invalid escape", 2),
        (#""\u12g4""#, "expected a hex digit in a \\u escape", 5),
        (#""\ud800""#, "unpaired surrogate in \\u escape", 7),
        (#""\udc00""#, "unpaired surrogate in \\u escape", 7),
        (#""\ud800\u0041""#, "unpaired surrogate in \\u escape", 13),
        ("{\"a\" 1}", "expected ':' after an object key", 5),
        ("[1 2]", "expected ',' or ']' in an array", 3),
        ("NaN", "unexpected character", 0),
    ]

    @Test("refusals carry the reason and the byte offset", arguments: refusalCases)
    func refusals(text: String, reason: String, offset: Int) {
        let error = failure(text)
        #expect(error == JSONSyntaxError(reason: reason, offset: offset), "\(text)")
    }

    @Test func invalidUTF8IsReportedAtTheStringsOpeningQuote() {
        var bytes = Array(#"{"ab":1}"#.utf8)
        bytes[3] = 0xFF
        #expect(throws: JSONSyntaxError(reason: "string is not valid UTF-8", offset: 1)) { try JSONParser.parse(bytes) }
        // An overlong encoding and a lone continuation byte are refused too.
        for invalid: [UInt8] in [[0xC0, 0xAF], [0x80], [0xED, 0xA0, 0x80]] {
            #expect(throws: JSONSyntaxError.self) { try JSONParser.parse([0x22] + invalid + [0x22]) }
        }
    }

    @Test func nestingIsCappedWithoutExhaustingTheStack() throws {
        let within = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try parse(within).array?.count == 1)
        for depth in [65, 1_000, 200_000] {
            let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            #expect(failure(deep) == JSONSyntaxError(reason: "nesting deeper than 64 levels", offset: 64))
            #expect(failure(String(repeating: #"{"a":"#, count: depth))?.reason == "nesting deeper than 64 levels")
        }
        #expect(try parse(String(repeating: "[", count: 3) + String(repeating: "]", count: 3), maximumDepth: 3).array != nil)
        #expect(throws: JSONSyntaxError.self) { try parse("[[[[]]]]", maximumDepth: 3) }
    }

    @Test func summaryIsShortForErrorMessages() throws {
        #expect(try parse(#"{"a": [1, "x", null]}"#).summary == #"{"a": [1, "x", null]}"#)
        let long = try parse("[" + Array(repeating: "12345", count: 40).joined(separator: ",") + "]").summary
        #expect(long.count == 80 && long.hasSuffix("..."))
    }
}
