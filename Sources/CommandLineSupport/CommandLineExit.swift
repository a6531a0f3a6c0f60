import ArgumentParser
import Foundation

/// A flag value that does not fit the task, model or data; the command exits with status 2.
public struct UsageError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A failure while running (an unreadable or corrupt file, a diverging run); the command exits with status 1.
public struct RuntimeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension ParsableCommand {
    /// Parses the process's arguments, runs the chosen (sub)command and exits.
    ///
    /// Every error becomes one line on stderr, `<name>: error: <message>`, and an exit status: 2 for
    /// bad arguments (parse errors, `validate()` failures, `UsageError`), 1 for failures while running.
    /// `--help` and `--version` print to stdout and exit 0. One line, because a researcher's script
    /// greps stderr; the full usage text is one `--help` away.
    public static func runAsCommandLineTool(name: String) -> Never {
        do {
            var command = try parseAsRoot()
            try command.run()
            Foundation.exit(0)
        } catch let error as UsageError {
            failCommand(name, error.description, code: 2)
        } catch let error as RuntimeError {
            failCommand(name, error.description, code: 1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            failCommand(name, message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message,
                        code: code == .validationFailure ? 2 : 1)
        }
    }
}

/// Prints `<name>: error: <message>` on stderr and exits with `code`.
public func failCommand(_ name: String, _ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("\(name): error: \(message)\n".utf8))
    Foundation.exit(code)
}
