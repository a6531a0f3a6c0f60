import Foundation
import Testing
import Tokenizers

/// A tokenizer.json this implementation cannot honour is refused by name; a malformed one is an error naming
/// the file and the field.
@Suite("Tokenizer refuses what it cannot honour")
struct RefusalTests {
    /// The small Llama-3 fixture with `original` replaced by `replacement` (which must occur in it).
    func variant(_ original: String, _ replacement: String, base: String = "llama3-small") throws -> String {
        let text = try TokenizerFixtures.text(base)
        #expect(text.contains(original), "fixture lacks \(original)")
        return text.replacingOccurrences(of: original, with: replacement)
    }

    /// The error message of reading `json`, or nil when it reads.
    func failure(_ json: String) -> String? {
        do {
            _ = try Tokenizer(data: Data(json.utf8), origin: "variant.json")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("unsupported components are named", arguments: [
        (#""type":"BPE""#, #""type":"WordPiece""#, "WordPiece"),
        (#""normalizer":null"#, #""normalizer":{"type":"Lowercase"}"#, "Lowercase"),
        (#""normalizer":null"#, #""normalizer":{"type":"Sequence","normalizers":[{"type":"NFC"},{"type":"NFKD"}]}"#, "NFKD"),
        (#"\\p{N}{1,3}"#, #"\\p{N}{1,4}"#, #"\p{N}{1,4}"#),
        (#""behavior":"Isolated""#, #""behavior":"MergedWithPrevious""#, "MergedWithPrevious"),
        (#""type":"Split""#, #""type":"Metaspace""#, "Metaspace"),
        (#""dropout":null"#, #""dropout":0.1"#, "dropout"),
        (#""byte_fallback":false"#, #""byte_fallback":true"#, "byte_fallback"),
        (#""continuing_subword_prefix":null"#, "\"continuing_subword_prefix\":\"##\"", "continuing_subword_prefix"),
        (#""end_of_word_suffix":null"#, #""end_of_word_suffix":"</w>""#, "end_of_word_suffix"),
        (#""truncation":null"#, #""truncation":{"max_length":8}"#, "truncation"),
        (#""padding":null"#, #""padding":{}"#, "padding"),
        (#""decoder":{"type":"ByteLevel""#, #""decoder":{"type":"WordPiece""#, "WordPiece"),
        (#""type":"TemplateProcessing""#, #""type":"RobertaProcessing""#, "RobertaProcessing"),
    ])
    func unsupported(original: String, replacement: String, name: String) throws {
        let message = try #require(failure(try variant(original, replacement)), "accepted \(replacement)")
        #expect(message.contains("unsupported"), "\(message)")
        #expect(message.contains(name), "\(message)")
        #expect(message.contains("variant.json"), "\(message)")
    }

    @Test("a pre-tokenizer without ByteLevel, or null, is refused")
    func withoutByteLevel() throws {
        let noByteLevel = try variant(#",{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]"#, "]")
        #expect(failure(noByteLevel)?.contains("ByteLevel") == true)
        let text = try TokenizerFixtures.text("llama3-small")
        let start = try #require(text.range(of: #""pre_tokenizer":{"#))
        let end = try #require(text.range(of: #","post_processor""#))
        let nullPre = text.replacingCharacters(in: start.lowerBound..<end.lowerBound, with: #""pre_tokenizer":null"#)
        #expect(failure(nullPre)?.contains("pre_tokenizer") == true)
    }

    @Test("malformed files name the file, field or byte offset", arguments: [
        ("{", "not valid JSON"),
        ("[]", "top level"),
        (#"{"model":{"type":"BPE","vocab":{},"merges":[]}}"#, "vocabulary is empty"),
        (#"{"normalizer":null}"#, "missing field `model`"),
        (#"{"model":{"type":"BPE","merges":[]}}"#, "missing field `vocab`"),
        (#"{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2}}}"#, "missing field `merges`"),
        (#"{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":["a b"]}}"#, "merged token \"ab\""),
        (#"{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a c"]}}"#, "token \"c\""),
        (#"{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b c"]}}"#, "model.merges[0]"),
        (#"{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":[["a"]]}}"#, "model.merges[0]"),
        (#"{"model":{"type":"BPE","vocab":{"a":-1},"merges":[]}}"#, "model.vocab.a"),
        (#"{"model":{"type":"BPE","vocab":{"a":0.5},"merges":[]}}"#, "model.vocab.a"),
        (#"{"model":{"type":"BPE","vocab":{"a":1.0},"merges":[]}}"#, "found 1.0"),  // ids are integers, read exactly
        (#"{"model":{"type":"BPE","vocab":{"a":1e2},"merges":[]}}"#, "found 1e2"),
        (#"{"model":{"type":"BPE","vocab":{"a":18446744073709551616},"merges":[]}}"#, "model.vocab.a"),
        (#"{"model":{"type":"BPE","vocab":{"a":0},"merges":[01]}}"#, "byte 50"),  // a leading zero is not JSON
        ("{\"a\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}", "nesting deeper than 64 levels"),
        (#"{"model":{"type":"BPE","vocab":{"a":99999999},"merges":[]}}"#, "model.vocab.a"),
        (#"{"model":{"type":"BPE","vocab":{"a":"0"},"merges":[]}}"#, "model.vocab.a"),
        (#"{"model":{"type":"BPE","vocab":{"a":0,"b":0},"merges":[]}}"#, "id 0"),
        (#"{"model":{"vocab":{"a":0},"merges":[]}}"#, "missing field `type`"),
        (#"{"model":{"type":"BPE","unk_token":"a","vocab":{"a":0},"merges":[]}}"#, "unk_token \"a\" with byte 0x0 missing"),
    ])
    func malformed(json: String, fragment: String) throws {
        let message = try #require(failure(json), "accepted \(json)")
        #expect(message.contains(fragment), "\(message)")
        #expect(message.contains("variant.json"), "\(message)")
    }

    @Test("an added token with a bad field is named")
    func badAddedToken() throws {
        let message = try #require(failure(try variant(#""content":"<|eot_id|>""#, #""content":7"#)))
        #expect(message.contains("added_tokens[4].content"), "\(message)")
        let empty = try #require(failure(try variant(#""content":"<|eot_id|>""#, #""content":"""#)))
        #expect(empty.contains("empty"), "\(empty)")
    }

    @Test("a missing file is an error naming its path")
    func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/tokenizer.json")
        #expect(throws: TokenizerError.self) { try Tokenizer(contentsOf: url) }
        do { _ = try Tokenizer(contentsOf: url) } catch { #expect("\(error)".contains("/nonexistent/tokenizer.json")) }
    }
}
