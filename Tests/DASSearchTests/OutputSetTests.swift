import Foundation
import Testing
@testable import das_search

/// The report and its plots are one set: a failure while writing leaves the previous set whole, and
/// file errors are sentences naming the path.
@Suite struct OutputSetTests {
    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("das-search-outputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    struct InjectedFailure: Error, CustomStringConvertible { var description: String { "disk full (injected)" } }

    @Test func aFailureWhileWritingLeavesThePreviousSet() throws {
        let folder = try folder()
        let (plot, curve, report) = (folder.appendingPathComponent("heatmap.svg"), folder.appendingPathComponent("heatmap.training-curve.svg"),
                                     folder.appendingPathComponent("report.json"))
        try OutputFiles.write([(plot, Data("old plot".utf8)), (curve, Data("old curve".utf8)), (report, Data("old report".utf8))])
        // The new set fails on each of its files in turn: the old set stays, and no temporary is left.
        for failing in 0..<3 {
            var written = 0
            let error = try #require(throws: (any Error).self) {
                try OutputFiles.write([(plot, Data("new plot".utf8)), (curve, Data("new curve".utf8)), (report, Data("new report".utf8))]) { data, url in
                    defer { written += 1 }
                    if written == failing { throw InjectedFailure() }
                    try data.write(to: url)
                }
            }
            let failed = [plot, curve, report][failing].path
            #expect("\(error)" == "cannot write \(failed): disk full (injected); the previous files are left as they were")
            #expect(try String(contentsOf: plot, encoding: .utf8) == "old plot")
            #expect(try String(contentsOf: curve, encoding: .utf8) == "old curve")
            #expect(try String(contentsOf: report, encoding: .utf8) == "old report")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["heatmap.svg", "heatmap.training-curve.svg", "report.json"])
        }
        // Without a failure the whole new set replaces the old.
        try OutputFiles.write([(plot, Data("new plot".utf8)), (curve, Data("new curve".utf8)), (report, Data("new report".utf8))])
        #expect(try String(contentsOf: report, encoding: .utf8) == "new report" && String(contentsOf: plot, encoding: .utf8) == "new plot")
    }

    @Test func pathsAreCheckedWithReadableSentences() throws {
        let folder = try folder()
        // A missing folder is created, several levels deep.
        let deep = folder.appendingPathComponent("a/b/report.json")
        try OutputFiles.prepare([deep])
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("a/b").path))
        // A path that is a folder, and a folder under a file, are refused by name.
        let asFolder = try #require(throws: (any Error).self) { try OutputFiles.prepare([folder.appendingPathComponent("a")]) }
        #expect("\(asFolder)" == "cannot write \(folder.path)/a: it is a folder")
        let file = folder.appendingPathComponent("file")
        try Data().write(to: file)
        let underFile = try #require(throws: (any Error).self) { try OutputFiles.prepare([file.appendingPathComponent("x.json")]) }
        #expect("\(underFile)".hasPrefix("cannot create the folder \(file.path) for \(file.path)/x.json: "), "\(underFile)")
        #expect(!"\(underFile)".contains("NSError") && !"\(underFile)".contains("Domain="), "\(underFile)")
        // A report that cannot be read says so in a sentence.
        let missing = try #require(throws: (any Error).self) { try SearchReport(contentsOf: folder.appendingPathComponent("none.json")) }
        #expect("\(missing)" == "cannot read the report \(folder.path)/none.json: no such file or folder", "\(missing)")
    }
}
