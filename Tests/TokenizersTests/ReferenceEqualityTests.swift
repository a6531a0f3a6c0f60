import Foundation
import Testing
@testable import Tokenizers

/// Ids and decoded text equal to the `tokenizers` library's, recorded in the fixtures.
@Suite("Tokenizer equals the tokenizers library")
struct ReferenceEqualityTests {
    @Test("every fixture text: ids, ids with special tokens, decoded text", arguments: TokenizerFixtures.names)
    func fixtureTexts(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let records = try TokenizerFixtures.records("expected.jsonl").filter { $0["tokenizer"] as? String == name }
        #expect(records.count > 40)
        for record in records {
            let text = record["text"] as! String
            let ids = TokenizerFixtures.ints(record["ids"])
            #expect(tokenizer.encode(text) == ids, "text \(text.debugDescription)")
            #expect(tokenizer.encode(text, addSpecialTokens: true) == TokenizerFixtures.ints(record["idsWithSpecial"]),
                    "text \(text.debugDescription)")
            #expect(try tokenizer.decode(ids) == record["decoded"] as! String, "text \(text.debugDescription)")
        }
    }

    @Test("sampled corpus lines give the reference ids", arguments: TokenizerFixtures.names)
    func corpusLines(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let lines = try TokenizerFixtures.corpusLines()
        let records = try TokenizerFixtures.records("expected-corpus.jsonl").filter { $0["tokenizer"] as? String == name }
        #expect(records.count > (name.hasSuffix("large") ? 3000 : 400), "\(records.count) records")
        var mismatches = 0
        for record in records {
            let line = lines[(record["line"] as! NSNumber).intValue]
            let expected = TokenizerFixtures.ints(record["ids"])
            let got = tokenizer.encode(line)
            if got != expected {
                mismatches += 1
                if mismatches <= 3 { Issue.record("line \(line.debugDescription): got \(got), expected \(expected)") }
            }
        }
        #expect(mismatches == 0)
    }

    @Test("decoding arbitrary id sequences (split UTF-8, special tokens) as tokenizers does", arguments: TokenizerFixtures.names)
    func decoding(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let records = try TokenizerFixtures.records("expected-decode.jsonl").filter { $0["tokenizer"] as? String == name }
        #expect(records.count >= 40)
        for record in records {
            let ids = TokenizerFixtures.ints(record["ids"])
            #expect(try tokenizer.decode(ids) == record["decoded"] as! String, "ids \(ids)")
            #expect(try tokenizer.decode(ids, skipSpecialTokens: true) == record["decodedSkippingSpecial"] as! String, "ids \(ids)")
        }
    }

    @Test("the large tokenizers hold at least 30,000 merges and describe what they read")
    func largeTokenizers() throws {
        for name in ["llama3-large", "qwen2-large"] {
            let tokenizer = try TokenizerFixtures.tokenizer(name)
            #expect(tokenizer.mergeCount >= 30_000)
            #expect(tokenizer.description.contains("merges"))
        }
        let llama = try TokenizerFixtures.tokenizer("llama3-large")
        #expect(llama.description.contains("Llama-3 pattern"))
        #expect(llama.beginningOfSequenceID == llama.id(forToken: "<|begin_of_text|>"))
        #expect(llama.vocabularySize == 30_300 + 5)
        #expect(llama.token(forID: llama.id(forToken: "Ġthe") ?? -1) == "Ġthe")
        let qwen = try TokenizerFixtures.tokenizer("qwen2-large")
        #expect(qwen.description.contains("NFC"))
        #expect(qwen.beginningOfSequenceID == nil)
        #expect(qwen.addedTokens.map(\.content) == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    }
}

/// The pre-tokenizer's words equal those of `tokenizers`' `pre_tokenize_str`, independently of any vocabulary.
@Suite("Pre-tokenizer equals the tokenizers library")
struct PreTokenizerEqualityTests {
    @Test("fixture texts and sampled corpus lines split into the same words",
          arguments: ["gpt2-small", "llama3-small", "qwen2-small", "gpt2-small-prefix", "llama3-small-prefix",
                      "llama3-small-digits", "gpt2-small-digits"])
    func words(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let records = try TokenizerFixtures.records("expected-pretokenize.jsonl").filter { $0["tokenizer"] as? String == name }
        #expect(records.count > 200)
        for record in records {
            let text = record["text"] as! String
            #expect(tokenizer.preTokenizedWords(text) == record["words"] as! [String], "text \(text.debugDescription)")
        }
    }
}
