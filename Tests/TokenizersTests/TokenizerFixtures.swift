import Foundation
import Tokenizers

/// The committed tokenizer fixtures (written by scripts/fixtures/tokenizer_fixtures.py with the `tokenizers`
/// library) and the multilingual corpus, found relative to this file.
enum TokenizerFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizers")
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("datasets/multilingual-corpus.txt")

    /// Tokenizers trained the way each family's released file is built.
    static let trained = ["gpt2-small", "llama3-small", "qwen2-small", "llama3-tiny", "llama3-large", "qwen2-large"]
    /// Variants with options the trained files leave at their defaults: ByteLevel `add_prefix_space`, and added
    /// tokens with `lstrip`, `rstrip`, `single_word` and `normalized`, and a `Digits` step.
    static let variants = ["gpt2-small-prefix", "llama3-small-prefix", "qwen2-small-added", "llama3-small-digits", "gpt2-small-digits"]
    static let names = trained + variants

    static func url(_ name: String) -> URL { directory.appendingPathComponent("\(name).json") }

    static func tokenizer(_ name: String) throws -> Tokenizer { try Tokenizer(contentsOf: url(name)) }

    static func text(_ name: String) throws -> String { try String(contentsOf: url(name), encoding: .utf8) }

    /// Each line of a JSON Lines fixture as a dictionary.
    static func records(_ file: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    static func ints(_ value: Any?) -> [Int] { (value as? [Any] ?? []).map { ($0 as! NSNumber).intValue } }

    /// The corpus split into lines exactly as the fixture script split it (on "\n" only).
    static func corpusLines() throws -> [String] {
        let text = try String(contentsOf: corpus, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}
