import ArgumentParser
import CommandLineSupport
import Foundation
import ReFT
import Tensors
import Tokenizers
import Transformers

/// `reft logits`: the model's next-token scores for a prompt.
struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Run the model on a prompt and print the most likely next tokens after its last position.",
        discussion: """
            The prompt is given as token ids (--ids 15496,11,995) or as text (--text, encoded with the model's \
            tokenizer.json, special tokens added as the tokenizer's template says). With --json, writes \
            {"schema": "interchange.reft.logits", "version": 1, "ids": [...], "vocabulary_size": V, "adapters": [...],
             "logits": [[V numbers] for every position]}.
            With --adapter (repeatable), the logits are the intervened model's: ReFT adapters act on the prompt's \
            positions as in training, several composing in the order given; a LoRA adapter is merged into the weights.

            Examples:
              reft logits --model tiny --text "The capital of France is" --top 5 --json logits.json
              reft logits --model tiny --adapter my-adapter --text "The capital of France is" --json intervened.json
            """)

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var adapterOptions: AdapterOptions

    @Option(help: ArgumentHelp("The prompt as comma-separated token ids.", valueName: "ids"))
    var ids: String?

    @Option(help: "The prompt as text, encoded with the model's tokenizer.json.")
    var text: String?

    @Option(help: "How many of the last position's most likely tokens to print.")
    var top = 10

    @Option(help: ArgumentHelp("Also write the logits of every position as JSON here.", valueName: "path"))
    var json: String?

    func validate() throws {
        guard (ids == nil) != (text == nil) else { throw ValidationError("give exactly one of --ids and --text") }
        guard top >= 1 else { throw ValidationError("--top must be at least 1, got \(top)") }
        if let text, text.isEmpty { throw ValidationError("--text is empty; give at least one character") }
    }

    func run() throws {
        try checkWritable(json)
        let configuration = try modelOptions.loadConfiguration()
        let tokenizer = text == nil ? nil : try modelOptions.loadTokenizer(neededFor: "--text")
        let prompt = try promptIDs(vocabularySize: configuration.vocabularySize, tokenizer: tokenizer)
        let model = try modelOptions.loadModel(configuration)
        let adapters = try adapterOptions.load(for: model)
        let tokens = try runtime { try TokenBatch([prompt]) }
        let plan = try adapters.plan(tokens: tokens, promptLengths: [prompt.count])
        let logits = try runtime {
            try Tensor.withoutGradients { try model(tokens, plan: plan, logits: .all).logits! }
        }
        let vocabulary = model.configuration.vocabularySize
        let last = Array(logits.scalars[((prompt.count - 1) * vocabulary)...])
        printTopTokens(last, tokenizer: tokenizer ?? (try? modelOptions.loadTokenizer(neededFor: "token text")))
        if let json {
            let rows = (0..<prompt.count).map { Array(logits.scalars[($0 * vocabulary)..<(($0 + 1) * vocabulary)]) }
            try writeJSON(LogitsReport(ids: prompt, vocabularySize: vocabulary, adapters: adapterOptions.paths, logits: rows), to: json)
        }
    }

    /// The prompt's ids, from `--ids` (checked against the vocabulary) or `--text`.
    func promptIDs(vocabularySize: Int, tokenizer: Tokenizer?) throws -> [Int] {
        if let tokenizer, let text {
            let encoded = tokenizer.encode(text, addSpecialTokens: true)
            guard !encoded.isEmpty else { throw UsageError("--text encodes to no tokens") }
            return encoded
        }
        return try parseTokenIDs(ids!, flag: "--ids", vocabularySize: vocabularySize)
    }

    /// A table of the `top` highest logits with their softmax probabilities.
    func printTopTokens(_ logits: [Float], tokenizer: Tokenizer?) {
        let maximum = logits.max() ?? 0
        let total = logits.reduce(0.0) { $0 + Foundation.exp(Double($1 - maximum)) }
        let ranked = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }.prefix(top)
        print("Next token after the last of \(logits.count)-way logits:")
        print("  rank        id       logit   probability  token")
        for (rank, id) in ranked.enumerated() {
            let probability = Foundation.exp(Double(logits[id] - maximum)) / total
            let text = (try? tokenizer?.decode([id])).flatMap { $0 }.map(printable) ?? ""
            print(String(format: "  %4d  %8d  %10.4f  %12.6f  ", rank + 1, id, logits[id], probability) + text)
        }
    }
}

/// Parses `1,2,3` into token ids, each checked against the vocabulary.
/// - Throws: `UsageError` naming the flag and the bad entry.
func parseTokenIDs(_ list: String, flag: String, vocabularySize: Int) throws -> [Int] {
    let parts = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    guard !parts.isEmpty, !(parts.count == 1 && parts[0].isEmpty) else { throw UsageError("\(flag) is empty; give ids like 15496,11,995") }
    return try parts.map { part in
        guard let id = Int(part) else { throw UsageError("\(flag): '\(part)' is not a token id (a whole number)") }
        guard (0..<vocabularySize).contains(id) else {
            throw UsageError("\(flag): token id \(id) is outside the vocabulary 0..<\(vocabularySize)")
        }
        return id
    }
}

/// `reft logits --json`'s report.
struct LogitsReport: Encodable {
    var schema = "interchange.reft.logits"
    var version = 1
    let ids: [Int]
    let vocabularySize: Int
    var adapters: [String] = []
    let logits: [[Float]]

    enum CodingKeys: String, CodingKey {
        case schema, version, ids, logits, adapters
        case vocabularySize = "vocabulary_size"
    }
}
