import Foundation

/// Runs the executables built beside this test bundle (`das-search`, the notebook scripts) and collects
/// their exit status and output.
enum ExecutableRunner {
    struct Result {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    /// The folder holding the built executables: the first ancestor of the test bundle that holds `das-search`.
    static let folder: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("das-search").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }()

    /// Runs `executable` (default `das-search`) with `arguments`, in `environment` added to this process's.
    static func run(_ arguments: [String], executable: String = "das-search") throws -> Result {
        let process = Process()
        process.executableURL = folder.appendingPathComponent(executable)
        process.arguments = arguments
        let (output, error) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Errors are one line; reading the output first cannot block on a full error pipe.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
                      standardError: String(decoding: errorData, as: UTF8.self))
    }
}
