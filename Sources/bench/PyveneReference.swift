import Foundation

/// Runs the reference scripts in `bench/reference/` with the virtualenv `make bench` installs.
enum PyveneReference {
    static let python = URL(fileURLWithPath: ".venv-reference/bin/python")
    static let stepScript = "bench/reference/pyvene_das_step.py"

    /// pyvene's DAS steps per second on the network and data saved in `directory`, or `nil` when
    /// the virtualenv is missing (with a note on stderr).
    static func stepsPerSecond(directory: URL, batchSize: Int, steps: Int, threads: Int) throws -> Double? {
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            FileHandle.standardError.write(Data("note: \(python.path) not found; run `make bench` (or bash bench/reference/setup.sh) to compare with pyvene\n".utf8))
            return nil
        }
        let output = try run([stepScript, "--model", directory.appendingPathComponent("network").path,
                              "--data", directory.appendingPathComponent("data.safetensors").path,
                              "--batch-size", "\(batchSize)", "--steps", "\(steps)", "--warmup", "5", "--threads", "\(threads)"])
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let rate = json["steps_per_second"] as? Double else {
            throw ValidationFailure("the pyvene reference printed no steps_per_second:\n\(output)")
        }
        return rate
    }

    /// Runs the virtualenv's Python with `arguments`; throws with its output when it fails.
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = python
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationFailure("\(arguments.first ?? "python") exited with status \(process.terminationStatus):\n\(output)")
        }
        return output
    }
}

/// A failure of a benchmark's helper, with its message.
struct ValidationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
