import Foundation

/// A reference script run in `--serve` mode: it answers one JSON line per command line, so that
/// the benchmark can interleave the reference's timed runs with its own (machine noise then hits
/// both sides alike).
final class ReferenceServer {
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffered = Data()

    /// Starts `python arguments…` (which then builds its model and warms up; see `waitUntilReady`).
    init(python: URL, arguments: [String]) throws {
        process.executableURL = python
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
    }

    /// Waits for the script's first line, which it prints once its warm-ups are done.
    func waitUntilReady() throws {
        _ = try nextObject()
    }

    /// Sends `command` and returns the JSON object of the reply.
    func request(_ command: String) throws -> [String: Any] {
        input.fileHandleForWriting.write(Data((command + "\n").utf8))
        return try nextObject()
    }

    /// Sends `done`, returns the final summary object and waits for the process to end.
    func finish() throws -> [String: Any] {
        let summary = try request("done")
        process.waitUntilExit()
        return summary
    }

    /// The next stdout line that is a JSON object (other lines are passed to stderr).
    private func nextObject() throws -> [String: Any] {
        while true {
            while let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffered[buffered.startIndex..<newline]
                buffered = Data(buffered[(newline + 1)...])
                if line.first == UInt8(ascii: "{"), let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] {
                    return object
                }
                FileHandle.standardError.write(line + Data("\n".utf8))
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                process.waitUntilExit()
                throw ValidationFailure("the reference \(process.arguments?.first ?? "script") ended (status \(process.terminationStatus)) without answering")
            }
            buffered.append(chunk)
        }
    }
}
