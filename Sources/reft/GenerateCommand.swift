import ArgumentParser
import CommandLineSupport
import Foundation
import ReFT
import Tensors
import Tokenizers
import Transformers

/// `reft generate`: continue a prompt, streaming the text as it is produced.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with the model, printing the new text as each token is chosen.",
        discussion: """
            Greedy by default (the most likely token each step). Give --temperature, --top-k or --top-p to sample \
            instead; sampling is seeded (--seed, default 0), so the same command prints the same text. \
            Generation stops after --max-new-tokens, or at the model's end-of-sequence token \
            (eos_token_id in generation_config.json or config.json) unless --ignore-eos. The prompt is encoded with \
            the model's tokenizer.json, special tokens added as its template says. A key/value cache makes each \
            new token cost one position's work. Timing goes to stderr, so stdout holds only the text.

            With --adapter (repeatable), adapters trained by `reft train` act during generation: ReFT \
            interventions edit the prompt's positions during the prefill only (decoding then reuses the \
            key/value cache at no extra cost); several compose in the order given. A LoRA adapter is merged \
            into the weights.

            Examples:
              reft generate --model tiny --prompt "Once upon a time" --max-new-tokens 40
              reft generate --model tiny --adapter style-adapter --prompt "Tell me about cats"
              reft generate --model tiny --adapter skill-a --adapter skill-b --prompt "..."
              reft generate --model tiny --prompt "Once" --temperature 0.8 --top-k 50 --top-p 0.95 --seed 3
            """)

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var adapterOptions: AdapterOptions

    @Option(help: "The text to continue.")
    var prompt: String

    @Option(help: "The most new tokens to produce.")
    var maxNewTokens = 32

    @Option(help: "Sample from softmax(logits / T) instead of taking the most likely token; T > 0.")
    var temperature: Float?

    @Option(help: "Sample among the k most likely tokens only.")
    var topK: Int?

    @Option(help: "Sample among the most likely tokens whose probabilities add up to p (0 < p ≤ 1).")
    var topP: Float?

    @Option(help: "The seed for sampling.")
    var seed: UInt64 = 0

    @Flag(help: "Keep going past the end-of-sequence token.")
    var ignoreEOS = false

    @Option(help: ArgumentHelp("Also write the prompt ids, the new ids and the new text as JSON here.", valueName: "path"))
    var json: String?

    var sampling: Sampling {
        guard temperature != nil || topK != nil || topP != nil else { return .greedy }
        return .sample(temperature: temperature ?? 1, topK: topK, topP: topP, seed: seed)
    }

    func validate() throws {
        guard !prompt.isEmpty else { throw ValidationError("--prompt is empty; give the text to continue") }
        guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be at least 1, got \(maxNewTokens)") }
        if let temperature, !(temperature.isFinite && temperature > 0) {
            throw ValidationError("--temperature must be a positive number, got \(temperature)")
        }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1, got \(topK)") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1], got \(topP)") }
    }

    func run() throws {
        try checkWritable(json)
        let configuration = try modelOptions.loadConfiguration()
        let tokenizer = try modelOptions.loadTokenizer(neededFor: "--prompt")
        let promptIDs = tokenizer.encode(prompt, addSpecialTokens: true)
        guard !promptIDs.isEmpty else { throw UsageError("--prompt encodes to no tokens") }
        if configuration.family == .gpt2, promptIDs.count + maxNewTokens > configuration.maxPositions {
            throw UsageError("the prompt's \(promptIDs.count) tokens + --max-new-tokens \(maxNewTokens) exceed the model's \(configuration.maxPositions) positions")
        }
        let model = try modelOptions.loadModel(configuration)
        let adapters = try adapterOptions.load(for: model)
        let plan = try runtime { try adapters.reft.isEmpty ? nil : ReFTAdapter.generationPlan(adapters.reft, prompts: [promptIDs]) }
        let stops = ignoreEOS ? [] : try modelOptions.endOfSequenceIDs()
        var options = GenerationOptions(maxNewTokens: maxNewTokens, stopTokens: Set(stops), sampling: sampling)
        options.padToken = stops.first ?? 0

        var stream = TextStream(tokenizer: tokenizer)
        FileHandle.standardOutput.write(Data(prompt.utf8))
        let start = Date()
        let generated = try runtime {
            try model.generate(prompts: [promptIDs], options: options, plan: plan) { _, token in stream.append(token) }
        }[0]
        stream.finish()
        let seconds = Date().timeIntervalSince(start)
        let rate = seconds > 0 ? Double(generated.count) / seconds : 0
        FileHandle.standardError.write(Data(String(format: "\n[%d prompt tokens, %d new in %.2f s: %.1f tokens/s]\n",
                                                    promptIDs.count, generated.count, seconds, rate).utf8))
        if let json {
            let text = (try? tokenizer.decode(generated)) ?? ""
            try writeJSON(GenerateReport(promptIDs: promptIDs, generatedIDs: generated, text: text, adapters: adapterOptions.paths), to: json)
        }
    }
}

/// Prints decoded text as tokens arrive. A token can end inside a multi-byte character, so text is
/// printed only up to the last complete character; the rest waits for the next token. Progress is
/// counted in Unicode scalars, not `Character`s: a combining mark arriving later changes the last
/// `Character` but never the scalars already printed.
struct TextStream {
    let tokenizer: Tokenizer
    private var ids: [Int] = []
    private var printedScalars = 0

    init(tokenizer: Tokenizer) { self.tokenizer = tokenizer }

    mutating func append(_ token: Int) {
        ids.append(token)
        guard let text = try? tokenizer.decode(ids) else { return }
        var scalars = Array(text.unicodeScalars)
        while scalars.last == "\u{FFFD}" { scalars.removeLast() }
        emit(scalars)
    }

    /// Prints whatever is left, incomplete characters included (as U+FFFD).
    mutating func finish() {
        if let text = try? tokenizer.decode(ids) { emit(Array(text.unicodeScalars)) }
    }

    private mutating func emit(_ scalars: [Unicode.Scalar]) {
        guard scalars.count > printedScalars else { return }
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars[printedScalars...])
        FileHandle.standardOutput.write(Data(text.utf8))
        printedScalars = scalars.count
    }
}

/// `reft generate --json`'s report.
struct GenerateReport: Encodable {
    var schema = "interchange.reft.generate"
    var version = 1
    let promptIDs: [Int]
    let generatedIDs: [Int]
    let text: String
    var adapters: [String] = []

    enum CodingKeys: String, CodingKey {
        case schema, version, text, adapters
        case promptIDs = "prompt_ids"
        case generatedIDs = "generated_ids"
    }
}
