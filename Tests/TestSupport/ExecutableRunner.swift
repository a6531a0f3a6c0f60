import Foundation

/// Runs the executables built beside the test bundle (`das-search`, `reft`, the notebook scripts) and
/// collects their exit status and output, for end-to-end tests of the command-line tools.
public enum ExecutableRunner {
    /// What a run left behind.
    public struct Result {
        public let status: Int32
        public let standardOutput: String
        public let standardError: String
    }

    /// The folder holding the built executables: the first ancestor of the test bundle that holds `das-search`
    /// (every product is built into the same folder).
    public static let folder: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("das-search").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }()

    /// Runs `executable` (default `das-search`) with `arguments`.
    public static func run(_ arguments: [String], executable: String = "das-search") throws -> Result {
        let process = Process()
        process.executableURL = folder.appendingPathComponent(executable)
        process.arguments = arguments
        let (output, error) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Standard error is drained on its own thread, so a chatty command cannot fill that pipe and
        // block while this one waits for standard output.
        let errorData = DrainedPipe()
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errorData.data = error.fileHandleForReading.readDataToEndOfFile()
            drained.signal()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
                      standardError: String(decoding: errorData.data, as: UTF8.self))
    }

    /// What the reading thread collected; read only after the semaphore says it is done.
    private final class DrainedPipe: @unchecked Sendable {
        var data = Data()
    }
}
