import Foundation
import Testing
import TestSupport

/// `das-search --data TRAIN.jsonl [--validation FILE] [--test FILE] --model DIR`: alignment search on a
/// counterfactual dataset file, with malformed files refused by file and line.
@Suite(.serialized) struct OwnDataTests {
    static let datasets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../datasets").standardized

    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("das-search-data-\(UUID().uuidString)").path
    }

    /// A boolean-AND network trained by das-search, as a `--model` directory.
    func booleanAndModel(in out: String) throws -> String {
        let result = try ExecutableRunner.run(["--task", "boolean-and", "--dims", "1", "--out", out, "--train-size", "50", "--validation-size", "20",
                                               "--test-size", "20", "--epochs", "1", "--quiet"])
        try #require(result.status == 0, "\(result.standardError)")
        return out + "/networks/" + (try #require(try FileManager.default.contentsOfDirectory(atPath: out + "/networks").first))
    }

    @Test func aDatasetFileIsSplitWhenNoValidationOrTestIsGiven() throws {
        let out = temporaryDirectory()
        let model = try booleanAndModel(in: out)
        let train = Self.datasets.appendingPathComponent("boolean-and-A.jsonl").path
        let result = try ExecutableRunner.run(["--data", train, "--model", model, "--dims", "1", "--epochs", "2", "--out", out + "/own"])
        #expect(result.status == 0, "\(result.standardError)")
        // 300 examples: 30 validation and 60 test held out, said so.
        #expect(result.standardError.contains("No --validation or --test file: the 300 examples of the --data file are split (seed 0) into 210 training, 30 validation, 60 test examples."),
                "\(result.standardError)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/own/report.json"))) as? [String: Any])
        let configuration = try #require(report["configuration"] as? [String: Any])
        #expect(configuration["task"] as? String == "boolean-and")
        #expect(configuration["trainSize"] as? Int == 210 && configuration["validationSize"] as? Int == 30 && configuration["testSize"] as? Int == 60)
        #expect(configuration["dataFiles"] as? [String] == [train])
        // The variable aligned is the file's: one split, A.
        #expect(report["splits"] as? [String] == ["A"])
        #expect((report["cells"] as? [Any])?.count == 2)  // layers 0 and 1 of the 4-4 network, size 1
    }

    @Test func givenValidationAndTestFilesAreUsedWhole() throws {
        let out = temporaryDirectory()
        let model = try booleanAndModel(in: out)
        let file = Self.datasets.appendingPathComponent("boolean-and-A.jsonl").path
        let result = try ExecutableRunner.run(["--data", file, "--validation", file, "--test", file, "--model", model, "--dims", "1", "--layers", "0",
                                               "--epochs", "1", "--out", out + "/own", "--json", out + "/own.json"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(!result.standardError.contains("split"), "\(result.standardError)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/own.json"))) as? [String: Any])
        let configuration = try #require(report["configuration"] as? [String: Any])
        #expect(configuration["trainSize"] as? Int == 300 && configuration["validationSize"] as? Int == 300 && configuration["testSize"] as? Int == 300)
    }

    @Test func malformedFilesAreRefusedByFileAndLine() throws {
        let out = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let model = try booleanAndModel(in: out)
        let good = try String(contentsOf: Self.datasets.appendingPathComponent("boolean-and-A.jsonl"), encoding: .utf8)
        var lines = good.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func file(_ name: String, _ text: String) throws -> String {
            let path = out + "/" + name
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        func expectRefusal(_ arguments: [String], status: Int32, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try ExecutableRunner.run(arguments + ["--model", model, "--out", out + "/run", "--quiet"])
            #expect(result.status == status, "\(arguments): \(result.standardError)", sourceLocation: sourceLocation)
            #expect(result.standardError.split(separator: "\n").count == 1 && result.standardError.contains(message),
                    "\(arguments): \(result.standardError)", sourceLocation: sourceLocation)
        }
        var broken = lines
        broken[5] = "{\"base\": {\"A\": true,"
        let brokenPath = try file("broken.jsonl", broken.joined(separator: "\n"))
        try expectRefusal(["--data", brokenPath], status: 1, "\(brokenPath): line 6: not valid JSON")
        var wrongType = lines
        wrongType[3] = wrongType[3].replacingOccurrences(of: "\"A\":true", with: "\"A\":\"yes\"").replacingOccurrences(of: "\"A\":false", with: "\"A\":[]")
        let wrongTypePath = try file("wrong-type.jsonl", wrongType.joined(separator: "\n"))
        try expectRefusal(["--data", wrongTypePath], status: 1, "\(wrongTypePath): line 4: value")
        let truncatedPath = try file("truncated.jsonl", lines.prefix(100).joined(separator: "\n"))
        try expectRefusal(["--data", truncatedPath], status: 1, "\(truncatedPath): the header announces 300 examples but the file holds 99")
        try expectRefusal(["--data", try file("empty.jsonl", "")], status: 1, "empty.jsonl: the file is empty")
        try expectRefusal(["--data", try file("binary.jsonl", "\u{0}\u{1}\u{2}")], status: 1, "binary.jsonl: line 1: not a dataset header")
        try expectRefusal(["--data", out + "/absent.jsonl"], status: 1, "cannot read the --data file \(out)/absent.jsonl: no such file or folder")
        lines[0] = lines[0].replacingOccurrences(of: "\"model\":\"boolean-and\"", with: "\"model\":\"parity\"")
        try expectRefusal(["--data", try file("parity.jsonl", lines.joined(separator: "\n"))], status: 2, "the --data file's model is 'parity'")
        // Files of different searches do not mix, and the flags need each other.
        let sum = Self.datasets.appendingPathComponent("sum-of-three-S1.jsonl").path
        let train = Self.datasets.appendingPathComponent("boolean-and-A.jsonl").path
        try expectRefusal(["--data", train, "--test", sum], status: 2, "\(sum) holds counterfactuals of model 'sum-of-three'")
        try expectRefusal(["--validation", train], status: 2, "--validation and --test go with --data")
        let noModel = try ExecutableRunner.run(["--data", train, "--quiet"])
        #expect(noModel.status == 2 && noModel.standardError.contains("--data needs --model"), "\(noModel.standardError)")
        // A network that does not fit the file's model.
        try expectRefusal(["--data", sum], status: 1, "takes 2 inputs and gives 2 classes; task sum needs 30")
    }
}
