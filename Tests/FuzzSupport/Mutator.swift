import Randomness

/// Seeded mutations of a valid input file, for the fuzz tests of every parser that reads user files:
/// bit flips, random bytes, truncations, deleted or duplicated slices, numbers and values replaced by
/// ones at the limits (integer overflow, huge exponents, negative sizes, wrong types), and deep nesting.
/// The same seed gives the same sequence of mutants, so a failure is reproducible from its trial number.
public struct Mutator {
    /// Values that sit at or past a limit: each replaces a number, or any value after a `:`.
    public static let limitValues: [String] = [
        "0", "-0", "-1", "1", "2", "0.5", "1.0", "1e308", "1e309", "-1e400", "1e-400", "65536", "4294967296",
        "2147483648", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "4611686018427387904", "2305843009213693952", "18446744073709551616", "99999999999999999999999999",
        "NaN", "Infinity", "-Infinity", "null", "true", "false", "\"\"", "\"x\"", "\"\\ud800\"", "[]", "{}", "[[]]",
        "[1,2,3]", "{\"a\":1}", "[4294967296,4294967296]", "[2305843009213693952]",
    ]

    private var generator: SeededGenerator

    /// A mutator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    /// A uniform integer in `range`.
    public mutating func integer(in range: ClosedRange<Int>) -> Int { range.lowerBound + generator.nextInt(below: range.count) }

    /// One mutant of `base` (which must be non-empty).
    public mutating func mutate(_ base: [UInt8]) -> [UInt8] {
        var bytes = base
        guard !bytes.isEmpty else { return [UInt8(integer(in: 0...255))] }
        switch integer(in: 0...8) {
        case 0:  // truncation
            bytes.removeLast(integer(in: 1...bytes.count))
        case 1:  // bit flips
            for _ in 0..<integer(in: 1...4) { bytes[integer(in: 0...bytes.count - 1)] ^= UInt8(1) << UInt8(integer(in: 0...7)) }
        case 2:  // a random byte written somewhere
            bytes[integer(in: 0...bytes.count - 1)] = UInt8(integer(in: 0...255))
        case 3, 4:  // a number replaced by a value at a limit
            let numbers = Self.numberRanges(bytes)
            if numbers.isEmpty { bytes.removeLast(); break }
            bytes.replaceSubrange(numbers[integer(in: 0...numbers.count - 1)], with: Array(generator.element(of: Self.limitValues).utf8))
        case 5:  // the value after some ':' replaced by a value at a limit (or of another type)
            let colons = bytes.indices.filter { bytes[$0] == UInt8(ascii: ":") }
            guard !colons.isEmpty else { bytes.removeLast(); break }
            let start = colons[integer(in: 0...colons.count - 1)] + 1
            bytes.replaceSubrange(start..<Self.valueEnd(bytes, from: start), with: Array(generator.element(of: Self.limitValues).utf8))
        case 6:  // a slice deleted or duplicated
            let i = integer(in: 0...bytes.count - 1)
            let j = min(bytes.count, i + integer(in: 1...40))
            if integer(in: 0...1) == 0 { bytes.removeSubrange(i..<j) } else { bytes.insert(contentsOf: bytes[i..<j], at: i) }
        case 7:  // deep nesting: a value wrapped in many arrays, or an unclosed run of '[' / '{'
            let depth = [2, 63, 64, 65, 100, 1_000, 20_000][integer(in: 0...6)]
            let at = integer(in: 0...bytes.count)
            if integer(in: 0...1) == 0 {
                bytes.insert(contentsOf: Array(String(repeating: "[", count: depth).utf8) + [UInt8(ascii: "1")]
                    + Array(String(repeating: "]", count: depth).utf8), at: at)
            } else {
                bytes.insert(contentsOf: Array(String(repeating: integer(in: 0...1) == 0 ? "[" : "{\"a\":", count: depth).utf8), at: at)
            }
        default:  // two mutations in a row
            bytes = mutate(mutate(bytes))
        }
        return bytes
    }

    /// The byte ranges of the number literals outside strings.
    static func numberRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var inString = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
            } else if byte == UInt8(ascii: "\"") {
                inString = true
                index += 1
            } else if byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                let start = index
                while index < bytes.count, "0123456789+-.eE".utf8.contains(bytes[index]) { index += 1 }
                ranges.append(start..<index)
            } else {
                index += 1
            }
        }
        return ranges
    }

    /// The end of the JSON value starting at `start` (up to the ',' or closing bracket that ends it).
    static func valueEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var end = start
        var depth = 0
        var inString = false
        while end < bytes.count {
            let byte = bytes[end]
            if inString {
                if byte == UInt8(ascii: "\\") { end += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                depth += 1
            } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                if depth == 0 { break }
                depth -= 1
            } else if byte == UInt8(ascii: ","), depth == 0 {
                break
            }
            end += 1
        }
        return min(end, bytes.count)
    }
}

/// What a fuzz run saw: how many mutants were accepted, how many refused with the expected error type,
/// and a description of the first few refused any other way (which a test reports as failures).
public struct FuzzOutcome: CustomStringConvertible {
    /// Mutants the parser read.
    public var accepted = 0
    /// Mutants refused with an expected error.
    public var refused = 0
    /// The first five errors of any other type, with their trial numbers.
    public var unexpected: [String] = []
    /// The counts, for a failing expectation's message.
    public var description: String { "accepted \(accepted), refused \(refused), unexpected \(unexpected.count)" }
}

/// Runs `body` on `count` mutants of `bases` (cycled). A mutant is accepted when `body` returns,
/// refused when it throws an error that `isExpected` accepts; any other error is recorded as unexpected.
/// A trap would end the process, which the test runner reports.
public func fuzz(
    _ bases: [[UInt8]], count: Int, seed: UInt64,
    isExpected: (any Error) -> Bool, _ body: ([UInt8]) throws -> Void
) -> FuzzOutcome {
    var mutator = Mutator(seed: seed)
    var outcome = FuzzOutcome()
    for trial in 0..<count {
        let mutant = mutator.mutate(bases[trial % bases.count])
        do {
            try body(mutant)
            outcome.accepted += 1
        } catch let error where isExpected(error) {
            outcome.refused += 1
        } catch {
            if outcome.unexpected.count < 5 { outcome.unexpected.append("trial \(trial): \(type(of: error)): \(error)") }
        }
    }
    return outcome
}
