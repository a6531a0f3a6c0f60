import ArgumentParser
import Foundation

/// `das-search merge`: the shards of one search, combined into the report a single run gives.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the JSON reports of `--shard k/n` runs into the report of the whole search.",
        discussion: """
            Every shard of one search (same flags, same seed, --shard 1/n … n/n) must be given once. The result equals \
            the unsharded run's report except for its timings. Example, with GNU parallel:
              parallel das-search --shard {}/3 --json part{}.json --quiet ::: 1 2 3
              das-search merge part1.json part2.json part3.json --json report.json
            """
    )

    @Argument(help: "The shard reports.")
    var reports: [String]

    @Option(help: "Where to write the merged report.")
    var json: String

    @Option(help: "Where to write the merged heatmap (optional).")
    var svg: String?

    func run() throws {
        let jsonURL = URL(fileURLWithPath: json), svgURL = svg.map { URL(fileURLWithPath: $0) }
        try OutputFiles.prepare([jsonURL] + (svgURL.map { [$0] } ?? []))
        let merged = try SearchReport.merged(reports.map { try SearchReport(contentsOf: URL(fileURLWithPath: $0)) })
        try OutputFiles.write((svgURL.map { [($0, Data(SearchPlots.heatmaps(merged).rendered.utf8))] } ?? []) + [(jsonURL, try merged.encoded())])
        print(merged.summary)
    }
}
