/// Which prompt tokens a ReFT intervention acts on (DESIGN §8): `f<n>` the first `n` prompt
/// tokens, `l<m>` the last `m`, `f<n>+l<m>` both (the prefix and the suffix).
///
/// **Short prompts.** For a prompt of `p` tokens the suffix is the last `min(m, p)` tokens and the
/// prefix the first `min(n, p − suffix count)`: when the two would overlap (`p < n + m`) the
/// shared tokens belong to the suffix, so every prompt token is acted on at most once, the last
/// prompt token (the one that predicts the first completion token) always carries the suffix
/// intervention, and no padding or completion token is ever touched. pyreft's
/// `get_intervention_locations` instead clamps both counts to `p / 2` (rounded down) and fills
/// the rest with a dummy position (−1, or `p` with `pad_mode="last"`), which on a 1-token prompt
/// acts on nothing but the dummy; prompts with `p ≥ n + m` get the same positions in both.
public struct PositionSpec: Sendable, Hashable, CustomStringConvertible, Codable {
    /// `n`, the prefix length asked for (0 when there is no `f` part).
    public let first: Int
    /// `m`, the suffix length asked for (0 when there is no `l` part).
    public let last: Int

    /// Upper bound on `n` and `m`: far beyond any context length, small enough for arithmetic.
    public static let limit = 1 << 24

    /// A spec for the first `first` and the last `last` prompt tokens (either may be 0, not both).
    /// - Throws: `ReFTError.invalidPositions` for negative counts, both 0, or counts over `limit`.
    public init(first: Int, last: Int) throws {
        let text = Self.text(first: first, last: last)
        guard first >= 0, last >= 0, first + last > 0 else {
            throw ReFTError.invalidPositions(text: text, reason: "asks for no position (counts must be at least 1)")
        }
        guard first <= Self.limit, last <= Self.limit else {
            throw ReFTError.invalidPositions(text: text, reason: "a count exceeds the limit \(Self.limit)")
        }
        (self.first, self.last) = (first, last)
    }

    /// Parses `f<n>`, `l<n>` or `f<n>+l<m>` (decimal digits, n, m ≥ 1, no spaces).
    /// - Throws: `ReFTError.invalidPositions` quoting `text` and stating the grammar.
    public init(parsing text: String) throws {
        func count(_ part: Substring, letter: Character) throws -> Int {
            guard part.first == letter else {
                throw ReFTError.invalidPositions(text: text, reason: "'\(part)' should start with '\(letter)'")
            }
            let digits = part.dropFirst()
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw ReFTError.invalidPositions(text: text, reason: "'\(part)' should be '\(letter)' followed by a number")
            }
            guard digits.count <= 9, let value = Int(digits), value >= 1, value <= Self.limit else {
                throw ReFTError.invalidPositions(text: text, reason: "'\(part)' should count between 1 and \(Self.limit) tokens")
            }
            return value
        }
        let parts = text.split(separator: "+", omittingEmptySubsequences: false)
        switch parts.count {
        case 1 where text.first == "f":
            try self.init(first: count(parts[0], letter: "f"), last: 0)
        case 1 where text.first == "l":
            try self.init(first: 0, last: count(parts[0], letter: "l"))
        case 1:
            throw ReFTError.invalidPositions(text: text, reason: text.isEmpty ? "it is empty" : "it should start with 'f' or 'l'")
        case 2:
            try self.init(first: count(parts[0], letter: "f"), last: count(parts[1], letter: "l"))
        default:
            throw ReFTError.invalidPositions(text: text, reason: "it has more than one '+'")
        }
    }

    /// Whether it has both a prefix and a suffix part (`f<n>+l<m>`).
    public var hasPrefixAndSuffix: Bool { first > 0 && last > 0 }

    /// The text form, e.g. `f1+l1`, `l3`.
    public var description: String { Self.text(first: first, last: last) }

    private static func text(first: Int, last: Int) -> String {
        switch (first > 0, last > 0) {
        case (true, true): "f\(first)+l\(last)"
        case (true, false): "f\(first)"
        case (false, true): "l\(last)"
        case (false, false): "f\(first)+l\(last)"
        }
    }

    /// The positions of a row whose prompt is `promptLength` tokens starting at `offset` (the number
    /// of left-padding tokens; 0 for right padding): the prefix positions and the suffix positions,
    /// ascending, disjoint, all within `offset ..< offset + promptLength` (see the rule above).
    /// - Throws: `ReFTError.invalidPlacement` for a negative offset or prompt length.
    public func positions(promptLength p: Int, offset: Int = 0) throws -> (prefix: [Int], suffix: [Int]) {
        guard p >= 0, offset >= 0 else {
            throw ReFTError.invalidPlacement("a prompt of length \(p) at offset \(offset): both must be at least 0")
        }
        let suffixCount = min(last, p)
        let prefixCount = min(first, p - suffixCount)
        let end = offset + p
        return (Array(offset..<(offset + prefixCount)), Array((end - suffixCount)..<end))
    }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
