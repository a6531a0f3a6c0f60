import ArgumentParser
import CommandLineSupport
import Foundation
import Tokenizers

/// `reft tokenize`: the ids a `tokenizer.json` gives a text.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode text with a tokenizer.json and print each token id with its text.",
        discussion: """
            Byte-level BPE as Hugging Face's tokenizers library runs it (GPT-2, Llama 3 and Qwen2 pre-tokenizers). \
            With --json, writes {"schema": "interchange.reft.tokenize", "version": 1, "ids": [...], "tokens": [...]}.

            Example:
              reft tokenize --tokenizer tiny/tokenizer.json --text "Héllo, 世界" --json ids.json
            """)

    @Option(help: ArgumentHelp("The tokenizer.json to read.", valueName: "file"))
    var tokenizer: String

    @Option(help: "The text to encode.")
    var text: String?

    @Option(help: ArgumentHelp("Encode this file's contents (UTF-8) instead of --text.", valueName: "path"))
    var file: String?

    @Flag(help: "Add the tokenizer's special tokens around the text (its post-processor's template, e.g. Llama 3's <|begin_of_text|>).")
    var addSpecialTokens = false

    @Option(help: ArgumentHelp("Also write the ids and tokens as JSON here.", valueName: "path"))
    var json: String?

    func validate() throws {
        guard (text == nil) != (file == nil) else { throw ValidationError("give exactly one of --text and --file") }
    }

    func run() throws {
        try checkWritable(json)
        let input: String
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw RuntimeError("cannot read --file '\(file)'") }
            guard let decoded = String(data: data, encoding: .utf8) else { throw UsageError("--file '\(file)' is not valid UTF-8") }
            input = decoded
        } else {
            input = text!
        }
        let loaded = try runtime { try Tokenizer(contentsOf: URL(fileURLWithPath: tokenizer)) }
        let ids = loaded.encode(input, addSpecialTokens: addSpecialTokens)
        let tokens = ids.map { loaded.token(forID: $0) ?? "" }
        print("\(ids.count) tokens")
        print("ids: \(ids.map(String.init).joined(separator: ","))")
        for (index, (id, token)) in zip(ids, tokens).enumerated().prefix(200) {
            print(String(format: "%6d  %8d  ", index, id) + printable(token))
        }
        if ids.count > 200 { print("… \(ids.count - 200) more (all of them are in --json)") }
        if let json { try writeJSON(TokenizeReport(ids: ids, tokens: tokens), to: json) }
    }
}

/// `reft tokenize --json`'s report.
struct TokenizeReport: Encodable {
    var schema = "interchange.reft.tokenize"
    var version = 1
    let ids: [Int]
    let tokens: [String]
}
