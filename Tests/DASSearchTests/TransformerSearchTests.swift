import Foundation
import Testing
import TestSupport

/// `das-search` on a transformer checkpoint (the committed price-tagging fixture): boundless DAS over
/// layers x token positions, the activation-patching grid, shards and merge, and each class of bad
/// input of issue 10 refused in one line with exit code 2.
@Suite(.serialized) struct TransformerSearchTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/token-tasks/price-tagging-small").path

    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("das-search-transformer-\(UUID().uuidString)").path
    }

    func report(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// A copy of the fixture whose `file` is changed by `edit` (a JSON object).
    func editedFixture(_ file: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        let folder = temporaryDirectory()
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: folder)
        let url = URL(fileURLWithPath: folder).appendingPathComponent(file)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return folder
    }

    func expectRefusal(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try ExecutableRunner.run(arguments)
        #expect(result.status == 2, "\(arguments): status \(result.status), stderr \(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardError.split(separator: "\n").count == 1, "\(arguments): \(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)", sourceLocation: sourceLocation)
    }

    /// Boundless DAS is the default on a transformer; every cell has its position, learned sizes and
    /// controls, the report is version 3, and the heatmap is drawn over layers x positions.
    @Test func boundlessSearchOverPositions() throws {
        let out = temporaryDirectory()
        let result = try ExecutableRunner.run(["--model", Self.fixture, "--task", "price-tagging", "--layers", "1", "--positions", "Z,last",
                                               "--train-size", "16", "--validation-size", "8", "--test-size", "16", "--epochs", "1",
                                               "--batch-size", "16", "--out", out])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("Best for LB (chosen on validation): layer.1.block_output at position"))
        let json = try report(out + "/report.json")
        #expect(json["version"] as? Int == 3)
        let configuration = try #require(json["configuration"] as? [String: Any])
        #expect(configuration["method"] as? String == "boundless" && configuration["positions"] as? [String] == ["Z", "last"])
        let cells = try #require(json["cells"] as? [[String: Any]])
        #expect(cells.map { $0["position"] as? String } == ["Z", "last"])
        for cell in cells {
            let learned = try #require(cell["learnedSubspaceSize"] as? [String: Double])
            #expect(Set(learned.keys) == ["LB", "UB"] && learned.values.allSatisfy { (0...32).contains($0) })
            let iia = try #require(cell["iia"] as? [String: Double])
            #expect(Set(iia.keys) == ["LB", "UB"])
            let controls = try #require(cell["controls"] as? [String: [String: Double]])
            #expect(controls.keys.sorted() == ["identityBasis", "randomNetwork", "randomRotation"])
        }
        // Each variable's best cell, chosen on its own validation IIA.
        let perSplit = try #require(json["bestPerSplit"] as? [String: [String: Any]])
        #expect(Set(perSplit.keys) == ["LB", "UB"] && perSplit.values.allSatisfy { ["Z", "last"].contains($0["position"] as? String ?? "") })
        let svg = try String(contentsOfFile: out + "/heatmap.svg", encoding: .utf8)
        #expect(svg.contains("token position") && svg.contains("intervening on LB") && svg.contains("intervening on UB"))
    }

    /// Patching the whole last-layer output at the last position restores the whole logit difference
    /// (the patched logits are the source's); at another position of the last layer nothing reads it.
    /// Shards merge into the unsharded report.
    @Test func patchingGridAndShards() throws {
        let out = temporaryDirectory()
        let common = ["--model", Self.fixture, "--task", "price-tagging", "--method", "patching", "--layers", "0,1", "--positions", "X,last",
                      "--test-size", "24", "--out", out, "--quiet"]
        #expect(try ExecutableRunner.run(common + ["--json", out + "/whole.json", "--svg", out + "/whole.svg"]).status == 0)
        let whole = try report(out + "/whole.json")
        let cells = try #require(whole["cells"] as? [[String: Any]])
        #expect(cells.count == 4)
        func fraction(_ site: String, _ position: String) throws -> Double {
            let cell = try #require(cells.first { $0["site"] as? String == site && $0["position"] as? String == position })
            return try #require((cell["patching"] as? [String: Double])?["fractionRestored"])
        }
        #expect(abs(try fraction("layer.1.block_output", "last") - 1) < 1e-4)
        #expect(abs(try fraction("layer.1.block_output", "X")) < 1e-4)
        #expect(try String(contentsOfFile: out + "/whole.svg", encoding: .utf8).contains("fraction of the logit difference restored"))
        #expect(whole["best"] == nil)   // nothing is learned or chosen
        for shard in 1...2 {
            #expect(try ExecutableRunner.run(common + ["--shard", "\(shard)/2", "--json", out + "/part\(shard).json"]).status == 0)
        }
        let merged = try ExecutableRunner.run(["merge", out + "/part1.json", out + "/part2.json", "--json", out + "/merged.json"])
        #expect(merged.status == 0, "\(merged.standardError)")
        var mergedReport = try report(out + "/merged.json"), wholeReport = whole
        mergedReport["timings"] = nil
        wholeReport["timings"] = nil
        #expect(try JSONSerialization.data(withJSONObject: mergedReport, options: [.sortedKeys])
                == JSONSerialization.data(withJSONObject: wholeReport, options: [.sortedKeys]))
    }

    @Test func badInputIsRefusedInOneLine() throws {
        let out = temporaryDirectory()
        let base = ["--model", Self.fixture, "--task", "price-tagging", "--out", out, "--quiet"]
        // A position the template does not have, by name or by index.
        try expectRefusal(base + ["--positions", "W"], "position W is not in the price-tagging template")
        try expectRefusal(base + ["--positions", "21"], "position 21 is not in the price-tagging template")
        // A layer out of range.
        try expectRefusal(base + ["--layers", "2"], "layer 2 is outside the model: it has 2 layers, 0...1")
        // A verbalizer value the tokenizer splits: without the merge that makes " yes" one token.
        let split = try editedFixture("tokenizer.json") { object in
            var model = object["model"] as! [String: Any]
            model["merges"] = (model["merges"] as! [[String]]).filter { $0 != ["Ġye", "s"] }
            object["model"] = model
        }
        try expectRefusal(["--model", split] + base.dropFirst(2), "the verbalizer value true (\"yes\") is split by the tokenizer into 2 tokens")
        // A template that does not fit the model's context.
        let short = try editedFixture("config.json") { $0["n_positions"] = 16 }
        try expectRefusal(["--model", short] + base.dropFirst(2), "a prompt and its answer take 22 positions, more than the model's 16")
        // Transformer-only flags on an MLP, and MLP-only data on a transformer.
        try expectRefusal(["--task", "boolean-and", "--method", "patching", "--quiet"], "unknown method 'patching' for an MLP")
        try expectRefusal(["--task", "boolean-and", "--positions", "last", "--quiet"], "--positions applies to transformers")
        try expectRefusal(base + ["--positions", "last,last"], "(last is listed twice)")
        try expectRefusal(base + ["--positions", "-1"], "--positions must be a comma-separated list of `last`, template slots or indices ≥ 0, not '-1'")
        try expectRefusal(base + ["--dims", "33"], "size 33 does not fit the model's width 32")
        try expectRefusal(["--network", "cnn", "--quiet"], "--network must be mlp or transformer, not 'cnn'")
    }
}
