import Foundation
import Testing

/// `reft pretrain` end to end on the GPT-2 fixture's architecture and tokenizer.
@Suite(.serialized) struct ReftPretrainCommandTests {
    let cli = ReftCommandTests()

    @Test func pretrainWritesACheckpointEveryCommandLoads() throws {
        let corpus = cli.temporaryPath("corpus.txt")
        let words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran"]
        let lines = (0..<12).map { line in (0..<6).map { words[($0 * 7 + line * 3) % words.count] }.joined(separator: " ") }
        try lines.joined(separator: "\n").write(toFile: corpus, atomically: true, encoding: .utf8)
        let gpt2 = URL(fileURLWithPath: cli.model("gpt2"))
        let out = cli.temporaryPath("pretrained")
        let result = try cli.run(["pretrain", "--config", gpt2.appendingPathComponent("config.json").path,
                                  "--tokenizer", gpt2.appendingPathComponent("tokenizer.json").path, "--data", corpus,
                                  "--epochs", "2", "--sequence-length", "8", "--batch-size", "4", "--lr", "1e-2", "--out", out])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("epoch 2/2: training loss"))
        for file in ["config.json", "model.safetensors", "tokenizer.json"] {
            #expect(FileManager.default.fileExists(atPath: URL(fileURLWithPath: out).appendingPathComponent(file).path), "\(file)")
        }
        // Losses fall over the two epochs.
        let losses = result.standardOutput.split(separator: "\n").filter { $0.contains("training loss") }
            .compactMap { Double($0.split(separator: " ")[4].trimmingCharacters(in: CharacterSet(charactersIn: ";"))) }
        #expect(losses.count == 2 && losses[1] < losses[0], "\(losses)")
        let inspect = try cli.run(["inspect", "--model", out])
        #expect(inspect.status == 0, "\(inspect.standardError)")
        let generated = try cli.run(["generate", "--model", out, "--prompt", "the cat", "--max-new-tokens", "4"])
        #expect(generated.status == 0, "\(generated.standardError)")
    }

    @Test func pretrainRefusesACorpusShorterThanOneWindow() throws {
        let corpus = cli.temporaryPath("tiny.txt")
        try "cat".write(toFile: corpus, atomically: true, encoding: .utf8)
        let gpt2 = URL(fileURLWithPath: cli.model("gpt2"))
        let result = try cli.run(["pretrain", "--config", gpt2.appendingPathComponent("config.json").path,
                                  "--tokenizer", gpt2.appendingPathComponent("tokenizer.json").path, "--data", corpus,
                                  "--sequence-length", "32", "--out", cli.temporaryPath("x")])
        #expect(result.status == 2)
        #expect(result.standardError.contains("fewer than one --sequence-length window"))
        #expect(result.standardError.split(separator: "\n").count == 1)
    }
}
