import Foundation

/// The `--name value` flags of the notebook scripts in `notebooks-as-scripts/`, which take a few options
/// each and so do without an argument parser, but still refuse what they do not understand: an unknown
/// flag, a flag without its value, or a value that is not what the flag takes, each stops the script with
/// one line on stderr and exit status 2 before it does any work; `--help` (or `-h`) prints the usage and exits 0.
public struct NotebookFlags {
    /// One flag a script accepts.
    public struct Flag: Sendable {
        /// The flag, with its dashes: `--out`.
        public let name: String
        /// What its value is, as shown in the usage (`DIR`), or nil for a switch that takes none.
        public let placeholder: String?
        /// One line on what it does.
        public let help: String

        /// A flag taking a value, shown as `name placeholder` in the usage.
        public static func option(_ name: String, _ placeholder: String, _ help: String) -> Flag {
            Flag(name: name, placeholder: placeholder, help: help)
        }

        /// A flag taking no value.
        public static func toggle(_ name: String, _ help: String) -> Flag { Flag(name: name, placeholder: nil, help: help) }
    }

    /// Why the flags cannot be used, or the usage text that `--help` asked for.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        /// `--help` or `-h`: the usage text; the script prints it and exits 0.
        case help(String)
        /// A bad flag or value: the message; the script prints it and exits 2.
        case invalid(String)

        public var description: String {
            switch self {
            case let .help(text): return text
            case let .invalid(message): return message
            }
        }
    }

    private let program: String
    private let values: [String: String]
    private let toggles: Set<String>

    /// The flags of `arguments` (without the program's own path), checked against `accepted`.
    /// - Throws: `Problem.help` for `--help`/`-h`; `Problem.invalid` naming an unknown flag, a missing value,
    ///   a flag given twice, or a stray argument.
    public init(parsing arguments: [String], program: String, summary: String, accepted: [Flag]) throws {
        self.program = program
        let byName = Dictionary(accepted.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var values: [String: String] = [:]
        var toggles: Set<String> = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--help" || argument == "-h" { throw Problem.help(Self.usage(program: program, summary: summary, accepted: accepted)) }
            guard let flag = byName[argument] else {
                let known = accepted.map(\.name).joined(separator: ", ")
                throw Problem.invalid(argument.hasPrefix("-")
                    ? "unknown flag '\(argument)'; \(program) takes \(known.isEmpty ? "no flags" : known) (see --help)"
                    : "unexpected argument '\(argument)'; \(program) takes only flags (see --help)")
            }
            guard values[argument] == nil, !toggles.contains(argument) else { throw Problem.invalid("\(argument) is given twice") }
            if flag.placeholder == nil {
                toggles.insert(argument)
                index += 1
            } else {
                guard index + 1 < arguments.count else { throw Problem.invalid("\(argument) needs a value (\(flag.placeholder!))") }
                values[argument] = arguments[index + 1]
                index += 2
            }
        }
        self.values = values
        self.toggles = toggles
    }

    /// The flags of this process; on `--help` prints the usage and exits 0, on a bad flag prints one line on
    /// stderr and exits 2.
    public static func ofThisProcess(program: String, summary: String, accepted: [Flag]) -> NotebookFlags {
        do {
            return try NotebookFlags(parsing: Array(CommandLine.arguments.dropFirst()), program: program, summary: summary, accepted: accepted)
        } catch let problem as Problem {
            if case let .help(text) = problem {
                print(text)
                exit(0)
            }
            fail(program, problem.description)
        } catch {
            fail(program, "\(error)")
        }
    }

    /// The usage text: the summary, then one line per flag.
    public static func usage(program: String, summary: String, accepted: [Flag]) -> String {
        let shown = accepted.map { flag in flag.placeholder.map { "\(flag.name) \($0)" } ?? flag.name }
        let width = shown.map(\.count).max() ?? 0
        let lines = zip(shown, accepted).map { "  " + $0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $1.help }
        return (["\(program): \(summary)", "", "Usage: \(program) [flags]", "", "Flags:"] + lines
            + ["  " + "--help".padding(toLength: width + 2, withPad: " ", startingAt: 0) + "Print this and exit."]).joined(separator: "\n")
    }

    /// The value after `flag`, if the flag is given.
    public func value(of flag: String) -> String? { values[flag] }

    /// Whether the switch `flag` is present.
    public func contains(_ flag: String) -> Bool { toggles.contains(flag) || values[flag] != nil }

    /// `flag`'s value as an integer in `range`, or `defaultValue` when the flag is absent.
    /// - Throws: `Problem.invalid` naming the flag and the value.
    public func parsedInteger(_ flag: String, default defaultValue: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = values[flag] else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw Problem.invalid("\(flag) must be an integer from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return value
    }

    /// `flag`'s value as a comma-separated list of integers in `range` without repeats, or `defaultValue`.
    /// - Throws: `Problem.invalid` naming the flag and the value.
    public func parsedIntegers(_ flag: String, default defaultValue: [Int], in range: ClosedRange<Int>) throws -> [Int] {
        guard let text = values[flag] else { return defaultValue }
        let parsed = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0.map(range.contains) ?? false }) else {
            throw Problem.invalid("\(flag) must be a comma-separated list of integers from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return parsed.map { $0! }
    }

    /// `flag`'s value as a comma-separated list of positive finite numbers, or `defaultValue`.
    /// - Throws: `Problem.invalid` naming the flag and the value.
    public func parsedPositiveNumbers(_ flag: String, default defaultValue: [Float]) throws -> [Float] {
        guard let text = values[flag] else { return defaultValue }
        let parsed = text.split(separator: ",", omittingEmptySubsequences: false).map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0.map { $0.isFinite && $0 > 0 } ?? false }) else {
            throw Problem.invalid("\(flag) must be a comma-separated list of positive numbers, not '\(text)'")
        }
        return parsed.map { $0! }
    }

    /// `parsedInteger`, exiting with status 2 and one line on stderr when the value is bad (for scripts).
    public func integer(_ flag: String, default defaultValue: Int, in range: ClosedRange<Int>) -> Int {
        orExit { try parsedInteger(flag, default: defaultValue, in: range) }
    }

    /// `parsedIntegers`, exiting with status 2 when the value is bad.
    public func integers(_ flag: String, default defaultValue: [Int], in range: ClosedRange<Int>) -> [Int] {
        orExit { try parsedIntegers(flag, default: defaultValue, in: range) }
    }

    /// `parsedPositiveNumbers`, exiting with status 2 when the value is bad.
    public func positiveNumbers(_ flag: String, default defaultValue: [Float]) -> [Float] {
        orExit { try parsedPositiveNumbers(flag, default: defaultValue) }
    }

    private func orExit<T>(_ body: () throws -> T) -> T {
        do { return try body() } catch { Self.fail(program, "\(error)") }
    }

    private static func fail(_ program: String, _ message: String) -> Never {
        FileHandle.standardError.write(Data("\(program): error: \(message)\n".utf8))
        exit(2)
    }
}
