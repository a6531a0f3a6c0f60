import Foundation
import Networks
import Testing
import TestSupport

/// End-to-end tests of the built `reft` executable on the committed fixture checkpoints: what each
/// subcommand prints and writes, agreement with the reference numbers, and one clear line with the
/// right exit code for each class of bad input.
@Suite(.serialized) struct ReftCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/models")

    typealias Run = ExecutableRunner.Result

    func run(_ arguments: [String]) throws -> Run {
        try ExecutableRunner.run(arguments, executable: "reft")
    }

    func model(_ name: String) -> String { Self.fixtures.appendingPathComponent(name).path }

    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("reft-\(UUID().uuidString)-\(name)").path
    }

    func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    func reference(_ name: String) throws -> SafetensorsArchive {
        try SafetensorsArchive(contentsOf: Self.fixtures.appendingPathComponent(name).appendingPathComponent("reference.safetensors"))
    }

    @Test func inspectDescribesTheArchitectureAndWritesJSON() throws {
        let out = temporaryPath("inspect.json")
        let result = try run(["inspect", "--model", model("llama-gqa"), "--json", out])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("llama"))
        #expect(result.standardOutput.contains("grouped"))
        let report = try json(out)
        #expect(report["schema"] as? String == "interchange.reft.inspect")
        #expect(report["version"] as? Int == 1)
        let layers = try #require(report["layers"] as? Int)
        #expect((report["sites"] as? [String])?.count == 1 + 4 * layers)
        #expect((report["sites"] as? [String])?.first == "embedding")
        #expect((report["parameter_count"] as? Int ?? 0) > 0)
        let bf16 = try run(["inspect", "--model", model("llama-bf16")])
        #expect(bf16.status == 0)
        #expect(bf16.standardOutput.contains("BF16"))
        let sharded = try run(["inspect", "--model", model("llama-sharded")])
        #expect(sharded.standardOutput.contains("model-00002-of-00002.safetensors"))
    }

    @Test func tokenizeGivesTheReferenceIDs() throws {
        let archive = try reference("gpt2")
        let prompt = try #require(archive.metadata["prompt"])
        let ids = try archive.integerTensor("input_ids")
        let expected = ids.values.prefix(ids.shape[1])
        let out = temporaryPath("ids.json")
        let result = try run(["tokenize", "--tokenizer", model("gpt2") + "/tokenizer.json", "--text", prompt, "--json", out])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try json(out)["ids"] as? [Int] == Array(expected))
        #expect(try json(out)["schema"] as? String == "interchange.reft.tokenize")
    }

    @Test func logitsEqualTheReferenceAtEveryPosition() throws {
        let archive = try reference("gpt2")
        let ids = try archive.integerTensor("input_ids")
        let length = ids.shape[1]
        let row = Array(ids.values.prefix(length))
        let expected = try archive.tensor("logits")
        let vocabulary = expected.shape[2]
        let out = temporaryPath("logits.json")
        let result = try run(["logits", "--model", model("gpt2"), "--ids", row.map(String.init).joined(separator: ","),
                              "--top", "3", "--json", out])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("rank"))
        let logits = try #require(try json(out)["logits"] as? [[Double]])
        #expect(logits.count == length)
        var worst = 0.0
        for position in 0..<length {
            for token in 0..<vocabulary {
                worst = max(worst, abs(logits[position][token] - Double(expected.scalars[position * vocabulary + token])))
            }
        }
        #expect(worst < 1e-4)
    }

    @Test func greedyGenerationEqualsTheReference() throws {
        for name in ["gpt2", "llama-gqa"] {
            let archive = try reference(name)
            let prompt = try #require(archive.metadata["generate_prompt"])
            let promptIDs = try archive.integerTensor("generate.prompt_ids").values
            let greedy = try archive.integerTensor("generate.greedy_ids").values
            let out = temporaryPath("generate.json")
            let result = try run(["generate", "--model", model(name), "--prompt", prompt,
                                  "--max-new-tokens", "\(greedy.count - promptIDs.count)", "--ignore-eos", "--json", out])
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardOutput.hasPrefix(prompt))
            #expect(result.standardError.contains("tokens/s"))
            let report = try json(out)
            #expect(report["prompt_ids"] as? [Int] == promptIDs)
            #expect(report["generated_ids"] as? [Int] == Array(greedy.dropFirst(promptIDs.count)))
        }
    }

    @Test func samplingIsReproducibleBySeed() throws {
        let arguments = ["generate", "--model", model("llama-gqa"), "--prompt", "Once", "--max-new-tokens", "6",
                         "--temperature", "1.5", "--top-k", "50", "--ignore-eos"]
        let first = try run(arguments + ["--seed", "3"]), again = try run(arguments + ["--seed", "3"])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput == again.standardOutput)
    }

    @Test func badInputGivesOneLineAndTheRightExitCode() throws {
        let corrupt = temporaryPath("corrupt")
        try FileManager.default.createDirectory(atPath: corrupt, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: model("gpt2") + "/config.json", toPath: corrupt + "/config.json")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: corrupt + "/model.safetensors"))
        let unsupported = temporaryPath("unsupported")
        try FileManager.default.createDirectory(atPath: unsupported, withIntermediateDirectories: true)
        try Data(#"{"model_type": "bert"}"#.utf8).write(to: URL(fileURLWithPath: unsupported + "/config.json"))
        let gpt2 = model("gpt2")
        let cases: [([String], Int32, String)] = [
            (["inspect", "--model", "/nonexistent/model"], 1, "does not exist"),
            (["logits", "--model", corrupt, "--ids", "1,2"], 1, "model.safetensors"),
            (["inspect", "--model", unsupported], 1, "bert"),
            (["logits", "--model", gpt2, "--ids", "1,999999"], 2, "token id 999999 is outside the vocabulary"),
            (["logits", "--model", gpt2, "--ids", "1,x"], 2, "'x' is not a token id"),
            (["logits", "--model", gpt2, "--ids", "1", "--text", "a"], 2, "exactly one of --ids and --text"),
            (["logits", "--model", gpt2, "--ids", "1", "--top", "0"], 2, "--top must be at least 1"),
            (["generate", "--model", gpt2, "--prompt", ""], 2, "--prompt is empty"),
            (["generate", "--model", gpt2, "--prompt", "a", "--temperature", "0"], 2, "--temperature must be a positive number"),
            (["generate", "--model", gpt2, "--prompt", "a", "--top-p", "1.5"], 2, "--top-p must be in (0, 1]"),
            (["generate", "--model", gpt2, "--prompt", "a", "--max-new-tokens", "100000"], 2, "exceed the model's"),
            (["tokenize", "--tokenizer", "/nonexistent/tokenizer.json", "--text", "a"], 1, "/nonexistent/tokenizer.json"),
            (["tokenize", "--tokenizer", gpt2 + "/tokenizer.json"], 2, "exactly one of --text and --file"),
        ]
        for (arguments, status, message) in cases {
            let result = try run(arguments)
            #expect(result.status == status, "\(arguments): status \(result.status), stderr \(result.standardError)")
            #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
            #expect(result.standardError.split(separator: "\n").count == 1, "\(arguments): \(result.standardError)")
            #expect(result.standardError.hasPrefix("reft: error: "), "\(arguments): \(result.standardError)")
        }
    }
}
