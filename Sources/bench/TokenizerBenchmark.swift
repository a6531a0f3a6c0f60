import ArgumentParser
import Foundation
import Tokenizers

/// `bench tokenizer`: byte-level BPE encoding throughput beside the Hugging Face `tokenizers` library.
struct TokenizerBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Encoding MB/s and tokens/s of Tokenizer beside the tokenizers library on one thread, ids checked equal.",
        discussion: """
            Both sides encode the same text with the same tokenizer.json and start cold: every timed run uses a \
            freshly read tokenizer (reading it is not timed), so no word is in its cache. --mode whole encodes the \
            text as one string (`tokenizer.encode(text)`); --mode lines encodes each line (split on "\\n") on its \
            own (`encode_batch` on one thread in Python). The reference runs bench/reference/tokenizer_bench.py \
            with the virtualenv of `make bench` (RAYON_NUM_THREADS=1, TOKENIZERS_PARALLELISM=false). Median of the runs.
            """
    )

    @Option(help: "UTF-8 text to encode.")
    var file = "datasets/multilingual-corpus.txt"

    @Option(help: "tokenizer.json to encode with.")
    var tokenizer = "Tests/Fixtures/tokenizers/llama3-large.json"

    @Option(help: "whole: the text as one string; lines: each line separately.")
    var mode = "whole"

    @Option(help: "Timed repetitions on each side; the median is reported.")
    var repetitions = 9

    @Flag(help: "Skip the tokenizers library (Swift figures only).")
    var noReference = false

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
        guard ["whole", "lines"].contains(mode) else { throw ValidationError("--mode must be whole or lines, not \(mode)") }
    }

    func run() throws {
        guard let text = try? String(contentsOf: URL(fileURLWithPath: file), encoding: .utf8) else {
            throw ValidationFailure("\(file): cannot read it as UTF-8 text")
        }
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: tokenizer)) else {
            throw ValidationFailure("\(tokenizer): cannot read the tokenizer file")
        }
        let bytes = Double(text.utf8.count)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func encode(_ t: Tokenizer) -> [Int] {
            mode == "whole" ? t.encode(text) : lines.flatMap { t.encode($0) }
        }
        var ids = encode(try Tokenizer(data: data, origin: tokenizer))   // warm-up, untimed
        let clock = ContinuousClock()
        var samples: [Double] = []
        for _ in 0..<repetitions {
            let fresh = try Tokenizer(data: data, origin: tokenizer)
            let elapsed = clock.measure { ids = encode(fresh) }
            samples.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        let seconds = samples.sorted()[samples.count / 2]
        print("Tokenizer encoding, one thread, cold cache (fresh tokenizer per run), mode \(mode), median of \(repetitions)")
        print("text: \(file) (\(Int(bytes)) bytes); tokenizer: \(tokenizer)\n")
        var rows = [["Interchange Tokenizer", String(format: "%.2f", bytes / seconds / 1e6),
                     String(format: "%.0f", Double(ids.count) / seconds), "\(ids.count)", String(format: "%.1f", seconds * 1000)]]
        guard !noReference else {
            print(table(["side", "MB/s", "tokens/s", "tokens", "ms"], rows))
            return
        }
        guard FileManager.default.isExecutableFile(atPath: PyveneReference.python.path) else {
            print(table(["side", "MB/s", "tokens/s", "tokens", "ms"], rows))
            FileHandle.standardError.write(Data("note: \(PyveneReference.python.path) not found; run `make bench` (or bash bench/reference/setup.sh) to compare with tokenizers\n".utf8))
            return
        }
        let idsFile = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-bench-ids-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: idsFile) }
        let output = try PyveneReference.run(["bench/reference/tokenizer_bench.py", "--file", file, "--tokenizer", tokenizer,
                                              "--mode", mode, "--repetitions", "\(repetitions)", "--ids-out", idsFile.path])
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let referenceSeconds = json["seconds"] as? Double,
              let library = json["library"] as? String else {
            throw ValidationFailure("the tokenizers reference printed no timing:\n\(output)")
        }
        let referenceIDs = (try JSONSerialization.jsonObject(with: Data(contentsOf: idsFile)) as? [Any] ?? [])
            .compactMap { ($0 as? NSNumber)?.intValue }
        rows.append([library, String(format: "%.2f", bytes / referenceSeconds / 1e6),
                     String(format: "%.0f", Double(referenceIDs.count) / referenceSeconds), "\(referenceIDs.count)",
                     String(format: "%.1f", referenceSeconds * 1000)])
        print(table(["side", "MB/s", "tokens/s", "tokens", "ms"], rows))
        print(String(format: "\nspeed ratio (Interchange / tokenizers): %.2f", referenceSeconds / seconds))
        if referenceIDs == ids {
            print("ids equal: yes (\(ids.count) tokens)")
        } else {
            let first = zip(ids, referenceIDs).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ids.count, referenceIDs.count)
            print("ids equal: NO (\(ids.count) vs \(referenceIDs.count) tokens; first difference at position \(first))")
            throw ExitCode(1)
        }
    }
}
