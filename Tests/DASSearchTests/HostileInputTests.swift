import Foundation
import Testing
import TestSupport

/// The classes of hostile input of issue 12, against the built executables: sizes that would overflow
/// or not fit in memory, non-finite and negative values, repeated list entries, malformed shards,
/// output paths checked before any work, shard reports that do not fit together, untrustworthy cached
/// networks, and the notebook scripts' flags. Each refusal is one line on stderr with the right status.
@Suite(.serialized) struct HostileInputTests {
    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("das-search-hostile-\(UUID().uuidString)").path
    }

    /// Runs das-search and checks the status and that stderr is one line containing `message`.
    func expectRefusal(_ arguments: [String], status: Int32, _ message: String, executable: String = "das-search",
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try ExecutableRunner.run(arguments, executable: executable)
        #expect(result.status == status, "\(arguments): status \(result.status), stderr \(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardError.split(separator: "\n").count == 1, "\(arguments): \(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)", sourceLocation: sourceLocation)
    }

    @Test func sizesFromFlagsAreCheckedBeforeAnyArithmetic() throws {
        try expectRefusal(["--dims", "4611686018427387904"], status: 2, "--dims 4611686018427387904 × 2 variables: 4611686018427387904 × 2 overflows")
        try expectRefusal(["--epochs", "9223372036854775807"], status: 2, "--epochs 9223372036854775807 × 6000 training examples")
        try expectRefusal(["--batch-size", "9223372036854775807"], status: 2, "--batch-size 9223372036854775807 + 6000 training examples")
        // An allocation the machine could never serve is refused, saying how much it would need.
        try expectRefusal(["--train-size", "1000000000000"], status: 2, "would need 567.5 TB (624000000936000 bytes) of memory, more than the limit of")
        try expectRefusal(["--test-size", "9223372036854775807"], status: 2, "--train-size + --validation-size + --test-size")
    }

    @Test func nonFiniteAndNegativeValuesAreBadFlagValues() throws {
        for value in ["inf", "-inf", "nan", "Infinity", "0", "-0.5"] {
            try expectRefusal(["--lr", value], status: 2, "--lr must be a positive finite number")
        }
        // A negative number is read as the flag's value and judged, not taken for a missing value.
        try expectRefusal(["--epochs", "-5"], status: 2, "--epochs must be at least 1, not -5")
        try expectRefusal(["--batch-size", "-64"], status: 2, "--batch-size must be at least 1, not -64")
        try expectRefusal(["--train-size", "-1"], status: 2, "--train-size must be at least 1, not -1")
        try expectRefusal(["--restarts", "-2"], status: 2, "--restarts must be at least 1, not -2")
        try expectRefusal(["--dims", "-1"], status: 2, "--dims must be a comma-separated list of positive sizes, not '-1'")
        try expectRefusal(["--layers", "-1"], status: 2, "--layers must be `all` or a comma-separated list of layer numbers, not '-1'")
        try expectRefusal(["--seed", "-1"], status: 2, "'-1' is invalid for '--seed")
    }

    @Test func repeatedListEntriesAndMalformedShardsAreRefused() throws {
        try expectRefusal(["--layers", "0,1,0"], status: 2, "(0 is listed twice)")
        try expectRefusal(["--dims", "2,4,2"], status: 2, "(2 is listed twice)")
        for shard in ["1//2", "/1/1", "1/2/", "1/", "/2", "0/2", "3/2", "1/0", "-1/2", "a/b"] {
            try expectRefusal(["--shard", shard], status: 2, "--shard must be k/n with 1 ≤ k ≤ n, not '\(shard)'")
        }
    }

    @Test func outputPathsAreCheckedBeforeAnyWork() throws {
        let out = temporaryDirectory()
        let file = out + "-file"
        try Data().write(to: URL(fileURLWithPath: file))
        try expectRefusal(["--task", "boolean-and", "--out", out, "--json", file + "/report.json", "--quiet"], status: 1,
                          "cannot create the folder \(file) for \(file)/report.json: ")
        try expectRefusal(["--task", "boolean-and", "--out", out, "--svg", file + "/deep/plot.svg", "--quiet"], status: 1, "for \(file)/deep/plot.svg")
        try expectRefusal(["--task", "boolean-and", "--out", out, "--export-data", file, "--quiet"], status: 1, "--export-data \(file)")
        try expectRefusal(["--task", "boolean-and", "--out", file, "--quiet"], status: 1, "--out \(file)")
        // Nothing was trained: the network cache is still absent.
        #expect(!FileManager.default.fileExists(atPath: out + "/networks"))
        // Missing folders of --json and --svg are created the same way as --out's.
        let result = try ExecutableRunner.run(["--task", "boolean-and", "--dims", "1", "--out", out, "--json", out + "/a/b/r.json",
                                               "--svg", out + "/c/d/h.svg", "--train-size", "50", "--validation-size", "20", "--test-size", "20",
                                               "--epochs", "1", "--quiet"])
        #expect(result.status == 0, "\(result.standardError)")
        for path in ["/a/b/r.json", "/c/d/h.svg", "/c/d/h.training-curve.svg"] {
            #expect(FileManager.default.fileExists(atPath: out + path), "\(path)")
        }
    }

    /// Shard reports of one small search, as JSON objects.
    func shardReports(in out: String) throws -> [[String: Any]] {
        try (1...2).map { shard in
            let result = try ExecutableRunner.run(["--task", "boolean-and", "--dims", "1,2", "--shard", "\(shard)/2", "--out", out,
                                                   "--json", out + "/part\(shard).json", "--train-size", "50", "--validation-size", "20",
                                                   "--test-size", "20", "--epochs", "1", "--quiet"])
            try #require(result.status == 0, "\(result.standardError)")
            return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/part\(shard).json"))) as? [String: Any])
        }
    }

    @Test func mergeRefusesShardsThatDoNotFitTogether() throws {
        let out = temporaryDirectory()
        let parts = try shardReports(in: out)
        func merge(_ first: [String: Any], _ second: [String: Any]) throws -> ExecutableRunner.Result {
            try JSONSerialization.data(withJSONObject: first).write(to: URL(fileURLWithPath: out + "/a.json"))
            try JSONSerialization.data(withJSONObject: second).write(to: URL(fileURLWithPath: out + "/b.json"))
            return try ExecutableRunner.run(["merge", out + "/a.json", out + "/b.json", "--json", out + "/merged.json"])
        }
        #expect(try merge(parts[0], parts[1]).status == 0)
        for count in [0, -1] {
            var bad = parts[0]
            bad["shard"] = ["index": 1, "count": count]
            let result = try merge(bad, parts[1])
            #expect(result.status == 1 && result.standardError.contains("\(out)/a.json: shard 1 of \(count) is not a shard"), "\(result.standardError)")
        }
        for count in [1_000_000_000_000, Int.max] {
            var (first, second) = (parts[0], parts[1])
            first["shard"] = ["index": 1, "count": count]
            second["shard"] = ["index": 2, "count": count]
            let result = try merge(first, second)
            #expect(result.status == 2 && result.standardError.contains("each of the \(count) shards exactly once"), "\(result.standardError)")
        }
        // Shard 2 holding shard 1's cells: outside its slice.
        var stray = parts[1]
        stray["cells"] = parts[0]["cells"]
        let strayResult = try merge(parts[0], stray)
        #expect(strayResult.status == 2 && strayResult.standardError.contains("which is not in its slice"), "\(strayResult.standardError)")
        // A cell given twice.
        var repeated = parts[0]
        repeated["cells"] = (parts[0]["cells"] as? [Any] ?? []) + [(parts[0]["cells"] as? [Any] ?? [])[0]]
        let repeatedResult = try merge(repeated, parts[1])
        #expect(repeatedResult.status == 2 && repeatedResult.standardError.contains("twice"), "\(repeatedResult.standardError)")
        // A cell missing from its slice.
        var short = parts[1]
        short["cells"] = Array((parts[1]["cells"] as? [Any] ?? []).dropLast())
        let shortResult = try merge(parts[0], short)
        #expect(shortResult.status == 2 && shortResult.standardError.contains("of the 2 cells of its slice"), "\(shortResult.standardError)")
        // The merge's own output path is checked before reading anything.
        let file = out + "/part1.json"
        let unwritable = try ExecutableRunner.run(["merge", file, out + "/part2.json", "--json", file + "/x.json"])
        #expect(unwritable.status == 1 && unwritable.standardError.contains("cannot create the folder \(file)"), "\(unwritable.standardError)")
    }

    @Test func aCachedNetworkThatFailsToLoadIsTrainedAgain() throws {
        let out = temporaryDirectory()
        let small = ["--task", "boolean-and", "--dims", "1", "--out", out, "--train-size", "50", "--validation-size", "20", "--test-size", "20", "--epochs", "1"]
        #expect(try ExecutableRunner.run(small + ["--quiet"]).status == 0)
        let cached = try #require(try FileManager.default.contentsOfDirectory(atPath: out + "/networks").first)
        let weights = URL(fileURLWithPath: out + "/networks/" + cached + "/model.safetensors")
        let good = try Data(contentsOf: weights)
        // The last weight made NaN: the loader refuses it and the search trains the network again.
        var poisoned = good
        poisoned.replaceSubrange((poisoned.count - 4)..<poisoned.count, with: [0x00, 0x00, 0xC0, 0x7F])
        try poisoned.write(to: weights)
        let nan = try ExecutableRunner.run(small)
        #expect(nan.status == 0, "\(nan.standardError)")
        #expect(nan.standardError.contains("cannot be used") && nan.standardError.contains("training it again"), "\(nan.standardError)")
        #expect(try Data(contentsOf: weights) == good)
        // A truncated file likewise.
        try good.prefix(good.count / 2).write(to: weights)
        let truncated = try ExecutableRunner.run(small)
        #expect(truncated.status == 0 && truncated.standardError.contains("training it again"), "\(truncated.standardError)")
        // And the intact cache is reused.
        let reused = try ExecutableRunner.run(small)
        #expect(reused.standardError.contains("Reusing the network trained before"), "\(reused.standardError)")
    }

    @Test(arguments: ["boolean-and-rotation", "sum-of-three", "hierarchical-equality", "causal-models-tour"])
    func notebooksRejectUnknownFlagsAndAnswerHelp(notebook: String) throws {
        let help = try ExecutableRunner.run(["--help"], executable: notebook)
        #expect(help.status == 0 && help.standardOutput.contains("Usage: \(notebook)") && help.standardOutput.contains("--out"), "\(help.standardOutput)")
        try expectRefusal(["--no-such-flag"], status: 2, "unknown flag '--no-such-flag'", executable: notebook)
        try expectRefusal(["--out"], status: 2, "--out needs a value", executable: notebook)
        if notebook != "causal-models-tour" {
            let countFlag = notebook == "hierarchical-equality" ? "--seeds" : "--seed"
            try expectRefusal([countFlag, "-3"], status: 2, "\(countFlag) must be an integer from", executable: notebook)
        }
    }
}
