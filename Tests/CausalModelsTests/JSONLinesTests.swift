import CausalModels
import Foundation
import Testing

@Suite("Datasets as JSON Lines")
struct JSONLinesTests {
    let dataset: CounterfactualDataset

    init() throws {
        dataset = try CounterfactualDataset(
            sampling: CausalTask.hierarchicalEquality(vocabularySize: 10).model,
            intervening: ["WX", "YZ"],
            count: 20,
            seed: 21,
            options: CounterfactualOptions(balancesLabels: true)
        )
    }

    /// A fresh directory for one test's files.
    private func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("causal-models-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    private func lines(of dataset: CounterfactualDataset) throws -> [String] {
        String(decoding: try dataset.jsonLines(), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    private func reading(_ lines: [String]) throws -> CounterfactualDataset {
        try CounterfactualDataset(jsonLines: Data(lines.joined(separator: "\n").utf8))
    }

    @Test func aCounterfactualDatasetRoundTripsThroughAFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("equality.jsonl")
        try dataset.write(to: file)
        #expect(try CounterfactualDataset(contentsOf: file) == dataset)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["equality.jsonl"])
    }

    @Test func aFactualDatasetRoundTrips() throws {
        let factual = try FactualDataset(sampling: CausalTask.sumOfThree().model, count: 30, seed: 2)
        #expect(try FactualDataset(jsonLines: factual.jsonLines()) == factual)
    }

    @Test func theFileIsAHeaderThenOneExamplePerLine() throws {
        let lines = try lines(of: dataset)
        #expect(lines.count == 21)
        #expect(lines[0].contains(#""kind":"counterfactual""#))
        #expect(lines[0].contains(#""intervenedVariables":["WX","YZ"]"#))
        #expect(lines[0].contains(#""seed":21"#))
        #expect(lines[0].contains(#""changedFraction":"#))
        #expect(lines[1].hasPrefix(#"{"base":{"W":"o"#))
        #expect(lines[1].contains(#""sources":{"WX":{"W":"#))
    }

    @Test func aMalformedLineIsNamedByNumber() throws {
        var lines = try lines(of: dataset)
        lines[2] = "{not json"
        expectError(DatasetError.self, mentioning: ["line 3", "not valid JSON"]) { try reading(lines) }
    }

    @Test func aMissingKeyIsNamedWithItsLine() throws {
        var lines = try lines(of: dataset)
        lines[4] = lines[4].replacingOccurrences(of: "baseOutput", with: "renamed")
        expectError(DatasetError.self, mentioning: ["line 5", "missing key 'baseOutput'"]) { try reading(lines) }
    }

    @Test func aBadValueIsNamedWithItsLineAndPath() throws {
        var lines = try lines(of: dataset)
        lines[3] = lines[3].replacingOccurrences(of: #""counterfactualOutput":{"O":"#, with: #""counterfactualOutput":{"O":null,"P":"#)
        expectError(DatasetError.self, mentioning: ["line 4", "counterfactualOutput.O"]) { try reading(lines) }
    }

    @Test func aBadHeaderIsNamed() throws {
        var lines = try lines(of: dataset)
        lines[0] = #"{"hello":"world"}"#
        expectError(DatasetError.self, mentioning: ["line 1", "header"]) { try reading(lines) }
        let factual = try FactualDataset(sampling: CausalTask.booleanAnd().model, count: 3, seed: 1)
        expectError(DatasetError.self, mentioning: ["line 1", "factual dataset, expected a counterfactual"]) {
            try CounterfactualDataset(jsonLines: factual.jsonLines())
        }
    }

    @Test func aTruncatedFileIsCaught() throws {
        let lines = try lines(of: dataset)
        expectError(DatasetError.self, mentioning: ["20 examples", "holds 19", "truncated"]) { try reading(Array(lines.dropLast())) }
    }

    @Test func anEmptyFileHasNoHeader() {
        expectError(DatasetError.self, mentioning: ["empty", "header"]) { try CounterfactualDataset(jsonLines: Data()) }
    }

    @Test func blankLinesAreSkippedButStillCounted() throws {
        var lines = try lines(of: dataset)
        lines.insert("", at: 3)
        #expect(try reading(lines) == dataset)
        lines[6] = "[]"
        expectError(DatasetError.self, mentioning: ["line 7"]) { try reading(lines) }
    }
}
