import Foundation
import Testing
import TestSupport

/// End-to-end tests of the built `das-search` executable: exit codes and messages for bad input,
/// each task at a reduced size, determinism, and sharding.
@Suite(.serialized) struct DASSearchCommandTests {
    typealias Run = ExecutableRunner.Result

    func run(_ arguments: [String]) throws -> Run {
        try ExecutableRunner.run(arguments, executable: "das-search")
    }

    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("das-search-\(UUID().uuidString)").path
    }

    /// A report without its timings, as a JSON object.
    func reportWithoutTimings(_ path: String) throws -> [String: Any] {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        object["timings"] = nil
        return object
    }

    func canonical(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    let small = ["--train-size", "200", "--test-size", "100", "--epochs", "2", "--quiet"]

    @Test func badInputGivesOneLineAndTheRightExitCode() throws {
        let out = temporaryDirectory()
        let cases: [([String], Int32, String)] = [
            (["--task", "parity"], 2, "unknown task 'parity'"),
            (["--method", "magic"], 2, "unknown method 'magic'"),
            (["--shard", "4/3"], 2, "--shard must be k/n"),
            (["--dims", "0,2"], 2, "--dims must be"),
            (["--early-stopping", "5"], 2, "--early-stopping must be `off` or `EVERY,PATIENCE`"),
            (["--early-stopping", "0,3"], 2, "--early-stopping must be `off` or `EVERY,PATIENCE`"),
            (["--seeds", "1,1"], 2, "--seeds must be"),
            (["--seeds", "0"], 2, "--seeds must be"),
            (["--validation-size", "0"], 2, "--validation-size"),
            (["--task", "boolean-and", "--layers", "7", "--out", out] + small, 2, "layer 7 is outside the network"),
            (["--task", "boolean-and", "--dims", "3", "--out", out] + small, 2, "size 3 does not fit layer.0"),
            (["--model", "/nonexistent/network", "--out", out] + small, 1, "/nonexistent/network"),
        ]
        for (arguments, status, message) in cases {
            let result = try run(arguments)
            #expect(result.status == status, "\(arguments): status \(result.status), stderr \(result.standardError)")
            let lines = result.standardError.split(separator: "\n")
            #expect(lines.count == 1, "\(arguments): \(result.standardError)")
            #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
        }
    }

    @Test func aModelOfTheWrongShapeIsRejected() throws {
        let out = temporaryDirectory()
        // Train a boolean-AND network (2 inputs), then hand it to the sum task (30 inputs).
        #expect(try run(["--task", "boolean-and", "--out", out] + small).status == 0)
        let cached = try #require(try FileManager.default.contentsOfDirectory(atPath: out + "/networks").first)
        let result = try run(["--task", "sum", "--model", out + "/networks/" + cached, "--out", out] + small)
        #expect(result.status == 1)
        #expect(result.standardError.contains("takes 2 inputs") && result.standardError.contains("needs 30"))
    }

    @Test func earlyStoppingIsRecordedInTheReport() throws {
        let out = temporaryDirectory()
        let result = try run(["--task", "boolean-and", "--out", out, "--early-stopping", "2,3"] + small)
        #expect(result.status == 0, "\(result.standardError)")
        let report = try reportWithoutTimings(out + "/report.json")
        let configuration = try #require(report["configuration"] as? [String: Any])
        let rule = try #require(configuration["earlyStopping"] as? [String: Any])
        #expect(rule["every"] as? Int == 2 && rule["patience"] as? Int == 3)
        let plain = temporaryDirectory()
        #expect(try run(["--task", "boolean-and", "--out", plain] + small).status == 0)
        #expect((try reportWithoutTimings(plain + "/report.json")["configuration"] as? [String: Any])?["earlyStopping"] == nil)
    }

    @Test func helpTeachesTheFlags() throws {
        let result = try run(["search", "--help"])
        #expect(result.status == 0)
        for flag in ["--task", "--model", "--layers", "--dims", "--method", "--epochs", "--batch-size", "--lr", "--train-size",
                     "--test-size", "--validation-size", "--validation-seed", "--seeds", "--restarts", "--export-data",
                     "--seed", "--out", "--json", "--svg", "--quiet", "--shard", "--data", "--validation", "--test", "--early-stopping"] {
            #expect(result.standardOutput.contains(flag), "--help lacks \(flag)")
        }
    }

    @Test(arguments: ["boolean-and", "sum", "hierarchical-equality"])
    func eachTaskRunsAndReportsItsHeadline(task: String) throws {
        let out = temporaryDirectory()
        let dims = task == "hierarchical-equality" ? ["--dims", "8", "--layers", "0"] : ["--dims", "1"]
        let result = try run(["--task", task, "--out", out, "--train-size", "600", "--test-size", "200", "--epochs", "5", "--quiet"] + dims)
        #expect(result.status == 0, "\(result.standardError)")
        let report = try reportWithoutTimings(out + "/report.json")
        #expect(report["schema"] as? String == "interchange.das-search" && report["version"] as? Int == 2)
        let cells = try #require(report["cells"] as? [[String: Any]])
        #expect(!cells.isEmpty)
        let best = try #require(report["best"] as? [String: Any])
        let iia = try #require(best["iia"] as? Double)
        // The best cell is the one with the highest validation IIA on the headline split.
        let headline = try #require((report["splits"] as? [String])?.last)
        let validationScores = cells.compactMap { ($0["validationIIA"] as? [String: Double])?[headline] }
        if validationScores.count == cells.count { #expect(best["validationIIA"] as? Double == validationScores.max()) }
        let controls = try #require(cells.first?["controls"] as? [String: [String: Double]])
        let split = try #require(best["split"] as? String)
        let overlap = try #require(report["overlap"] as? [String: Any])
        switch task {
        case "boolean-and":
            // Four inputs: every test example was seen in training, and the output says so plainly.
            #expect((overlap["testInTraining"] as? Double ?? 0) > 0.99)
            // A 4-4 MLP trained on AND may merge the inputs it does not need apart (0∧1 = 1∧0 = 0∧0), so A and B
            // need not be recoverable; DAS still does at least as well as the neurons.
            #expect(iia >= (controls["identityBasis"]?[split] ?? 1))
        case "hierarchical-equality":
            #expect((overlap["testInTraining"] as? Double ?? 1) < 0.05)
            #expect(iia > 0.75)
            #expect(iia > (controls["identityBasis"]?[split] ?? 1) + 0.1)
        default:
            #expect(iia > (controls["randomNetwork"]?[split] ?? 1))
        }
        #expect(FileManager.default.fileExists(atPath: out + "/heatmap.svg"))
        #expect(FileManager.default.fileExists(atPath: out + "/heatmap.training-curve.svg"))
    }

    @Test func sameFlagsGiveTheSameReportAndShardsMergeIntoIt() throws {
        let out = temporaryDirectory()
        let common = ["--task", "sum", "--dims", "1,2,4", "--out", out] + small
        #expect(try run(common + ["--json", out + "/whole.json"]).status == 0)
        #expect(try run(common + ["--json", out + "/again.json"]).status == 0)
        #expect(try canonical(reportWithoutTimings(out + "/whole.json")) == canonical(reportWithoutTimings(out + "/again.json")))
        // Byte-identical too, once the timings field is set aside.
        func bytesWithoutTimings(_ path: String) throws -> String {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return String(text[..<(text.range(of: "\"timings\"")?.lowerBound ?? text.endIndex)])
        }
        #expect(try bytesWithoutTimings(out + "/whole.json") == bytesWithoutTimings(out + "/again.json"))

        for shard in 1...3 {
            #expect(try run(common + ["--shard", "\(shard)/3", "--json", out + "/part\(shard).json"]).status == 0)
        }
        let merge = try run(["merge", out + "/part1.json", out + "/part2.json", out + "/part3.json", "--json", out + "/merged.json"])
        #expect(merge.status == 0, "\(merge.standardError)")
        #expect(try canonical(reportWithoutTimings(out + "/merged.json")) == canonical(reportWithoutTimings(out + "/whole.json")))
        let missing = try run(["merge", out + "/part1.json", out + "/part3.json", "--json", out + "/bad.json"])
        #expect(missing.status == 2 && missing.standardError.contains("exactly once"))
    }

    @Test func severalSeedsGiveMediansIntervalsAndEverySeed() throws {
        let out = temporaryDirectory()
        let result = try run(["--task", "sum", "--dims", "4", "--layers", "0", "--seeds", "3", "--out", out, "--train-size", "300",
                              "--validation-size", "100", "--test-size", "200", "--epochs", "2"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("median over the 3 DAS seeds") && result.standardOutput.contains("bootstrap"))
        let report = try reportWithoutTimings(out + "/report.json")
        let cell = try #require((report["cells"] as? [[String: Any]])?.first)
        let seeds = try #require(cell["seeds"] as? [[String: Any]])
        #expect(seeds.compactMap { $0["seed"] as? Int } == [0, 1, 2])
        let values = seeds.compactMap { ($0["iia"] as? [String: Double])?["S1"] }.sorted()
        #expect(values.count == 3 && (cell["iia"] as? [String: Double])?["S1"] == values[1])
        let intervals = try #require(cell["intervals"] as? [String: [String: [String: Any]]])
        for part in ["das", "validation", "identityBasis", "randomRotation", "randomNetwork"] {
            let interval = try #require(intervals[part]?["S1"], "\(part)")
            let (low, high) = (interval["low"] as? Double ?? 2, interval["high"] as? Double ?? -1)
            #expect(interval["method"] as? String == "bootstrap" && low <= high, "\(part)")
        }
        let das = try #require(intervals["das"]?["S1"])
        #expect((das["low"] as? Double ?? 2) <= values[1] && values[1] <= (das["high"] as? Double ?? -1))
        // One seed: the binomial interval of its IIA.
        let single = try run(["--task", "sum", "--dims", "4", "--layers", "0", "--out", out, "--json", out + "/one.json"] + small)
        #expect(single.status == 0)
        let one = try reportWithoutTimings(out + "/one.json")
        let oneCell = try #require((one["cells"] as? [[String: Any]])?.first)
        #expect(((oneCell["intervals"] as? [String: [String: [String: Any]]])?["das"]?["S1"]?["method"] as? String) == "binomial")
    }
}
