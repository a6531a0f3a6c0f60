import CausalModels
import Foundation
import Testing

/// The example datasets in `datasets/` must be exactly what their header says made them.
@Suite("The example datasets")
struct ExampleDatasetTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("datasets")

    static func files() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "jsonl" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test func thereIsOneForEachBuiltinTask() throws {
        let models = try Self.files().map { try CounterfactualDataset(contentsOf: $0).model }
        #expect(Set(models) == ["boolean-and", "sum-of-three", "hierarchical-equality"])
    }

    @Test(arguments: try files())
    func regeneratingFromTheHeaderGivesTheSameBytes(file: URL) throws {
        let tasks = [try CausalTask.booleanAnd(), try CausalTask.sumOfThree(), try CausalTask.hierarchicalEquality()]
        let stored = try CounterfactualDataset(contentsOf: file)
        let task = try #require(tasks.first { $0.model.name == stored.model })
        let regenerated = try CounterfactualDataset(
            sampling: task.model,
            intervening: stored.intervenedVariables,
            count: stored.examples.count,
            seed: stored.seed,
            options: stored.options
        )
        #expect(try regenerated.jsonLines() == Data(contentsOf: file))
        #expect((200...1000).contains(stored.examples.count))
    }
}
