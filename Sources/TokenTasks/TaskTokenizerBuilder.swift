import Foundation

/// Builds a Hugging Face `tokenizer.json` (byte-level BPE, GPT-2 pre-tokenizer with a prefix space)
/// in which every word a task writes is one token.
///
/// The vocabulary holds the 256 byte symbols (so any text encodes) and, for every pre-tokenized
/// piece of the task's texts (`Ġdollars`, `Ġ12`, `,`), the chain of its prefixes, built by merges
/// that each extend a prefix by one symbol: `(Ġ, d)`, `(Ġd, o)`, … A merge's left side always
/// starts its piece, so merges of different words cannot interleave, and each piece ends as one token.
/// `<|endoftext|>` is an added special token, the last id.
public enum TaskTokenizerBuilder {
    /// The special token appended after the vocabulary (GPT-2's end of text).
    public static let endOfText = "<|endoftext|>"

    /// The tokenizer.json bytes for `texts` (each as it appears in a prompt, with its leading space).
    public static func tokenizerJSON(for texts: [String]) throws -> Data {
        let alphabet = byteAlphabet()
        var vocabulary: [String: Int] = [:]
        var order: [String] = []
        func add(_ token: String) {
            guard vocabulary[token] == nil else { return }
            vocabulary[token] = order.count
            order.append(token)
        }
        for symbol in alphabet { add(symbol) }
        var merges: [[String]] = []
        var seenMerges = Set<String>()
        for text in texts {
            for piece in pieces(of: text) {
                let symbols = Array(piece.utf8).map { alphabet[Int($0)] }
                var prefix = symbols[0]
                for symbol in symbols.dropFirst() {
                    if seenMerges.insert(prefix + " " + symbol).inserted { merges.append([prefix, symbol]) }
                    prefix += symbol
                    add(prefix)
                }
            }
        }
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true]
        let root: [String: Any] = [
            "version": "1.0",
            "truncation": NSNull(),
            "padding": NSNull(),
            "added_tokens": [["id": order.count, "content": endOfText, "single_word": false, "lstrip": false,
                              "rstrip": false, "normalized": false, "special": true]],
            "normalizer": NSNull(),
            "pre_tokenizer": byteLevel,
            "post_processor": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true],
            "decoder": byteLevel,
            "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                      "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                      "vocab": vocabulary, "merges": merges] as [String: Any],
        ]
        do {
            return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
        } catch {
            throw TokenTaskError.file(path: "tokenizer.json", reason: "cannot serialize: \(error)")
        }
    }

    /// The pieces GPT-2's pre-tokenizer makes of ASCII text (`' ?letters| ?digits| ?others|spaces'`),
    /// with a space put first as `add_prefix_space` does; non-ASCII text stays in one piece per run.
    static func pieces(of text: String) -> [String] {
        let text = text.first == " " ? text : " " + text
        enum Kind { case letter, digit, other, space }
        func kind(_ c: Character) -> Kind {
            if c == " " { return .space }
            if c.isLetter { return .letter }
            if c.isNumber { return .digit }
            return .other
        }
        var pieces: [String] = []
        var current = ""
        var currentKind: Kind? = nil
        for character in text {
            let k = kind(character)
            if k == .space {
                if !current.isEmpty { pieces.append(current) }
                current = " "
                currentKind = .space
            } else if currentKind == .space || currentKind == k {
                current.append(character)
                currentKind = k
            } else {
                if !current.isEmpty { pieces.append(current) }
                current = String(character)
                currentKind = k
            }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// GPT-2's byte-to-symbol table: printable bytes stand for themselves, the rest map to U+0100 on.
    static func byteAlphabet() -> [String] {
        var table = [String](repeating: "", count: 256)
        var next = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            table[byte] = String(UnicodeScalar(UInt32(printable ? byte : next))!)
            if !printable { next += 1 }
        }
        return table
    }
}
