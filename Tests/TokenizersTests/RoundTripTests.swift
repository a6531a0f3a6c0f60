import Foundation
import Testing
import Tokenizers

/// decode(encode(text)) gives the text back (NFC-normalized for the Qwen2 kind, whose normalizer is NFC).
@Suite("Tokenizer round trip")
struct RoundTripTests {
    static let texts: [(String, String)] = [
        ("ASCII", "The quick brown fox jumps over the lazy dog. It's 42!\n\tIndented  twice  "),
        ("accented", "Ça ira, naïve façade, Ångström, smørrebrød, Łódź, Tiếng Việt"),
        ("combining marks", "Cafe\u{301} nai\u{308}ve a\u{301}\u{302}\u{303} Z\u{335}\u{321}a\u{336}"),
        ("CJK", "我们今天去公园散步。東京は晴れです。안녕하세요 세계"),
        ("right-to-left", "مرحبا بالعالم، كيف حالك؟ שלום עולם! mixed עם English"),
        ("emoji", "😀🎉 👨‍👩‍👧‍👦 👩🏽‍💻 🏳️‍🌈 🇫🇷 1️⃣ 👍🏻👍🏿 ❤️‍🔥"),
        ("Indic and Thai", "नमस्ते दुनिया สวัสดีชาวโลก"),
        ("digits", "1234567890 ٠١٢٣ १२३ １２３ 3.14159"),
        ("whitespace", "  \t\n\n \u{a0}\u{3000}\u{2028}x  \r\n"),
        ("special tokens", "<|endoftext|>a<|im_start|>b<|begin_of_text|>"),
        ("empty", ""),
    ]

    @Test("each text class", arguments: TokenizerFixtures.trained)
    func roundTrip(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        for (kind, text) in Self.texts {
            let expected = name.hasPrefix("qwen2") ? text.precomposedStringWithCanonicalMapping : text
            let decoded = try tokenizer.decode(tokenizer.encode(text))
            #expect(Array(decoded.unicodeScalars) == Array(expected.unicodeScalars), "\(kind): \(text.debugDescription)")
        }
    }

    @Test("the whole corpus round-trips through the large Llama-3 tokenizer")
    func corpus() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama3-large")
        let text = try String(contentsOf: TokenizerFixtures.corpus, encoding: .utf8)
        let ids = tokenizer.encode(text)
        #expect(ids.count > 100_000)
        #expect(try tokenizer.decode(ids) == text)
        // The cache gives the same ids the second time.
        #expect(tokenizer.encode(text) == ids)
    }

    @Test("skipping special tokens and rejecting unknown ids")
    func specialsAndUnknownIDs() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("qwen2-small")
        let ids = tokenizer.encode("<|im_start|>hi<|im_end|>")
        #expect(ids.first == tokenizer.id(forToken: "<|im_start|>"))
        #expect(try tokenizer.decode(ids, skipSpecialTokens: true) == "hi")
        #expect(throws: TokenizerError.unknownID(id: tokenizer.vocabularySize, vocabularySize: tokenizer.vocabularySize)) {
            try tokenizer.decode([0, tokenizer.vocabularySize])
        }
        do {
            _ = try tokenizer.decode([-1])
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("-1") && "\(error)".contains("\(tokenizer.vocabularySize)"))
        }
    }
}

/// One tokenizer shared by concurrent tasks gives each the ids it gives alone (the cache is guarded).
@Suite("Tokenizer shared between threads")
struct ConcurrencyTests {
    @Test("eight tasks encoding different corpus lines at once")
    func concurrentEncoding() async throws {
        let tokenizer = try TokenizerFixtures.tokenizer("qwen2-small")
        let lines = Array(try TokenizerFixtures.corpusLines().prefix(800))
        let alone = try TokenizerFixtures.tokenizer("qwen2-small")
        let expected = lines.map { alone.encode($0) }
        let results = await withTaskGroup(of: (Int, [[Int]]).self) { group in
            for task in 0..<8 {
                group.addTask {
                    (task, lines.enumerated().filter { $0.offset % 8 == task || $0.offset % 3 == 0 }.map { tokenizer.encode($0.element) })
                }
            }
            var all: [Int: [[Int]]] = [:]
            for await (task, ids) in group { all[task] = ids }
            return all
        }
        for (task, ids) in results {
            let want = lines.indices.filter { $0 % 8 == task || $0 % 3 == 0 }.map { expected[$0] }
            #expect(ids == want, "task \(task)")
        }
    }
}

/// Token lookups compare exact bytes, as `tokenizers` does (Swift's `String` equality is canonical equivalence).
@Suite("Token lookups")
struct TokenLookupTests {
    @Test("a normalized added token is found by its own text, not by a canonically equivalent one")
    func exactLookups() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("qwen2-small-added")
        let id = try #require(tokenizer.id(forToken: "Cafe\u{301}"))
        #expect(id == 1006)
        #expect(tokenizer.id(forToken: "Caf\u{e9}") == nil)
        // `tokenizers` gives the normalized (NFC) text back for a normalized added token.
        #expect(tokenizer.token(forID: id).map { Array($0.unicodeScalars) } == Array("Caf\u{e9}".unicodeScalars))
        #expect(tokenizer.id(forToken: "<mask>") == 1003)
        #expect(tokenizer.vocabularySize == 1007)
        #expect(tokenizer.token(forID: 1007) == nil)
        #expect(tokenizer.token(forID: -1) == nil)
    }
}
