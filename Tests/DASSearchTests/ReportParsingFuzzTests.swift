import Foundation
import Testing
import TestSupport
@testable import das_search
#if canImport(FuzzSupport)
import FuzzSupport
#endif

/// The `merge` parser (`SearchReport(data:path:)` and `SearchReport.merged`) under seeded mutations of a real
/// shard report: every mutant either parses or throws; nothing traps. A trap would kill the test process.
@Suite struct ReportParsingFuzzTests {
    /// A real report of shard 1 of 2, written by the built executable.
    static func shardReport() throws -> Data {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("das-search-fuzz-\(UUID().uuidString)")
        let result = try ExecutableRunner.run(["--task", "boolean-and", "--dims", "1,2", "--shard", "1/2", "--out", folder.path,
                                               "--train-size", "50", "--validation-size", "20", "--test-size", "20", "--epochs", "1", "--quiet"])
        try #require(result.status == 0, "\(result.standardError)")
        // Timings zeroed, so the same seed gives the same mutants on every run.
        var report = try SearchReport(contentsOf: folder.appendingPathComponent("report.json"))
        report.timings = .init(totalSeconds: 0, networkSeconds: 0, cellSeconds: report.timings.cellSeconds.mapValues { _ in 0 })
        return try report.encoded()
    }

    #if canImport(FuzzSupport)
    @Test func tenThousandMutantsOfAReportNeverTrap() throws {
        let base = try Self.shardReport()
        // The unmutated report parses, and merging it alone is refused (shard 2 is missing), by a thrown error.
        let parsed = try SearchReport(data: base, path: "base.json")
        #expect(parsed.shard.index == 1 && parsed.shard.count == 2)
        #expect(throws: (any Error).self) { try SearchReport.merged([parsed]) }
        var mutator = Mutator(seed: 12)
        var parsedCount = 0, refused = 0
        let started = ContinuousClock.now
        for trial in 0..<10_000 {
            let mutant = Data(mutator.mutate(Array(base)))
            do {
                let report = try SearchReport(data: mutant, path: "mutant-\(trial).json")
                parsedCount += 1
                // What a mutant that parses goes on to: the merge, its table and its heatmap.
                if let merged = try? SearchReport.merged([report]) {
                    _ = merged.summary
                    _ = SearchPlots.heatmaps(merged).rendered
                }
            } catch let error as CustomStringConvertible {
                // Every refusal names the file.
                #expect(error.description.contains("mutant-\(trial).json"), "trial \(trial): \(error)")
                refused += 1
            }
        }
        #expect(parsedCount + refused == 10_000 && refused > 1_000)
        print("report fuzz: \(parsedCount) mutants parsed, \(refused) refused, in \(ContinuousClock.now - started)")
    }
    #else
    @Test func fuzzingNeedsFuzzSupport() {
        Issue.record("Package.swift: the DASSearchTests target needs the FuzzSupport dependency for the report fuzz test")
    }
    #endif

    /// The shard counts the issue found (`shard.count` of 0, negative, 10^12, Int.max), each refused by a
    /// thrown error naming the problem rather than a trap or a huge allocation.
    @Test func impossibleShardCountsAreRefused() throws {
        let base = try #require(try JSONSerialization.jsonObject(with: Self.shardReport()) as? [String: Any])
        for count in [0, -1, 1_000_000_000_000, Int.max] {
            var object = base
            object["shard"] = ["index": 1, "count": count]
            let data = try JSONSerialization.data(withJSONObject: object)
            if count < 1 {
                let error = try #require(throws: (any Error).self) { try SearchReport(data: data, path: "bad.json") }
                #expect("\(error)".contains("bad.json: shard 1 of \(count) is not a shard"), "\(error)")
            } else {
                // A count that parses is checked against the reports given before any range of shards is made.
                let report = try SearchReport(data: data, path: "big.json")
                let error = try #require(throws: (any Error).self) { try SearchReport.merged([report]) }
                #expect("\(error)".contains("each of the \(count) shards exactly once"), "\(error)")
            }
        }
    }
}
