import Foundation
import Testing

/// `reft train`, and `generate` / `logits` with `--adapter`, end to end on the committed GPT-2 fixture.
@Suite(.serialized) struct ReftTrainCommandTests {
    let cli = ReftCommandTests()

    func folder(_ name: String) -> String { cli.temporaryPath(name) }

    func dataFile(_ pairs: [(String, String)] = [("red", " apple"), ("yellow", " banana"), ("green", " pear"), ("purple", " plum"), ("blue", " sky")]) throws -> String {
        let path = folder("data.jsonl")
        try pairs.map { #"{"prompt": "\#($0.0)", "completion": "\#($0.1)"}"# }.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func train(_ extra: [String], data: String, out: String, model: String = "gpt2") throws -> ReftCommandTests.Run {
        try cli.run(["train", "--model", cli.model(model), "--data", data, "--out", out, "--batch-size", "2", "--lr", "1e-2"] + extra)
    }

    @Test func trainStopResumeEqualsAnUninterruptedRun() throws {
        let data = try dataFile()
        let flags = ["--type", "loreft", "--rank", "2", "--layers", "0,2", "--positions", "f1+l1", "--epochs", "3", "--dropout", "0.1"]
        let (full, parted) = (folder("full"), folder("parted"))
        let report = folder("train.json")
        let first = try train(flags + ["--validation", data, "--json", report], data: data, out: full)
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("trainable parameters: 776"))  // 2 layers × 2 parts × (2·48·2 + 2)
        #expect(first.standardOutput.contains("epoch 3/3: training loss"))
        #expect(first.standardOutput.contains("exact-match accuracy"))
        let json = try cli.json(report)
        #expect(json["schema"] as? String == "interchange.reft.train")
        #expect(json["version"] as? Int == 1)
        #expect((json["history"] as? [Any])?.count == 3)
        #expect(json["trainable_parameters"] as? Int == 776)

        let stopped = try train(flags + ["--stop-after", "1"], data: data, out: parted)
        #expect(stopped.status == 0, "\(stopped.standardError)")
        #expect(!stopped.standardOutput.contains("epoch 2/3"))
        let resumed = try train(flags + ["--resume"], data: data, out: parted)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("resuming after epoch 1 of 3"))
        for file in ["adapter.safetensors", "training-state.safetensors"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: full).appendingPathComponent(file))
            let b = try Data(contentsOf: URL(fileURLWithPath: parted).appendingPathComponent(file))
            #expect(a == b, "\(file) differs between the uninterrupted and the resumed run")
        }
        // Training again into a folder that holds an adapter needs --resume; other settings are refused.
        let again = try train(flags, data: data, out: full)
        #expect(again.status == 2)
        #expect(again.standardError.contains("already holds an adapter"))
        let other = try train(["--type", "loreft", "--rank", "2", "--layers", "0,2", "--positions", "f1+l1", "--epochs", "4", "--resume"], data: data, out: full)
        #expect(other.status == 2, "\(other.standardError)")
        #expect(other.standardError.split(separator: "\n").count == 1)
    }

    @Test func adaptersActInLogitsAndGenerateAndCompose() throws {
        let data = try dataFile()
        let (a, b) = (folder("a"), folder("b"))
        #expect(try train(["--rank", "2", "--layers", "0", "--positions", "l1", "--epochs", "2"], data: data, out: a).status == 0)
        #expect(try train(["--type", "direft", "--rank", "1", "--layers", "2", "--positions", "f1", "--epochs", "2"], data: data, out: b).status == 0)
        func logits(_ adapters: [String]) throws -> [[Double]] {
            let path = folder("logits.json")
            let result = try cli.run(["logits", "--model", cli.model("gpt2"), "--text", "red", "--json", path] + adapters.flatMap { ["--adapter", $0] })
            #expect(result.status == 0, "\(result.standardError)")
            let report = try cli.json(path)
            #expect(report["schema"] as? String == "interchange.reft.logits")
            #expect((report["adapters"] as? [String]) == adapters)
            return try #require(report["logits"] as? [[Double]])
        }
        let base = try logits([]), withA = try logits([a]), withBoth = try logits([a, b])
        #expect(base != withA)
        #expect(withA != withBoth)
        #expect(withBoth.count == base.count)
        let generated = try cli.run(["generate", "--model", cli.model("gpt2"), "--prompt", "red", "--max-new-tokens", "3", "--adapter", a, "--adapter", b])
        #expect(generated.status == 0, "\(generated.standardError)")
        let lora = folder("lora")
        let loraRun = try train(["--type", "lora", "--rank", "2", "--lora-targets", "q,v", "--layers", "all", "--epochs", "1"], data: data, out: lora)
        #expect(loraRun.status == 0, "\(loraRun.standardError)")
        #expect(loraRun.standardOutput.contains("trainable parameters: 1152"), "\(loraRun.standardOutput)")  // 3 layers × 2 targets × r (in + out) = 6 × 2 × 96
        #expect(try logits([lora, a]).count == base.count)
    }

    @Test func badInputGetsOneLineAndExitCode2() throws {
        let data = try dataFile()
        let adapter = folder("gpt2-adapter")
        #expect(try train(["--rank", "2", "--layers", "0", "--epochs", "1"], data: data, out: adapter).status == 0)
        let cases: [([String], String)] = [
            (["logits", "--model", cli.model("llama-gqa"), "--ids", "1,2", "--adapter", adapter], "does not fit this model"),
            (["generate", "--model", cli.model("llama-gqa"), "--prompt", "hi", "--adapter", adapter], "does not fit this model"),
            (["logits", "--model", cli.model("gpt2"), "--ids", "1,2", "--adapter", folder("missing")], "does not exist"),
            (["train", "--model", cli.model("gpt2"), "--data", data, "--out", folder("x"), "--layers", "0,7"], "layers"),
            (["train", "--model", cli.model("gpt2"), "--data", data, "--out", folder("x"), "--rank", "49"], "larger than the model's width 48"),
            (["train", "--model", cli.model("gpt2"), "--data", data, "--out", folder("x"), "--positions", "f1+x2"], "--positions"),
            (["train", "--model", cli.model("gpt2"), "--data", data, "--out", folder("x"), "--type", "bogus"], "--type 'bogus'"),
            (["train", "--model", cli.model("gpt2"), "--data", folder("none.jsonl"), "--out", folder("x")], "does not exist"),
            (["train", "--model", cli.model("gpt2"), "--data", data, "--out", folder("x"), "--resume"], "holds no training state"),
        ]
        for (arguments, message) in cases {
            let result = try cli.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.standardError)")
            #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
            #expect(result.standardError.split(separator: "\n").count == 1, "\(arguments): \(result.standardError)")
        }
        let badLine = folder("bad.jsonl")
        try "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": 3}\n".write(toFile: badLine, atomically: true, encoding: .utf8)
        let result = try cli.run(["train", "--model", cli.model("gpt2"), "--data", badLine, "--out", folder("x")])
        #expect(result.status == 2)
        #expect(result.standardError.contains("bad.jsonl:2:"), "\(result.standardError)")
    }

    @Test func trainHelpTeaches() throws {
        let result = try cli.run(["train", "--help"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("Examples:"))
        #expect(result.standardOutput.contains("--resume"))
        #expect(result.standardOutput.contains("2dk + k"))
    }
}
