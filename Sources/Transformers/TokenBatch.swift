/// Token ids for one forward pass: `batch` rows of `length` ids, left-padded when the rows have
/// different lengths, with the attention mask that says which ids are real.
public struct TokenBatch: Sendable, Equatable {
    /// Row-major ids, `batch * length` of them.
    public let ids: [Int]
    /// Rows, and ids per row.
    public let batch: Int, length: Int
    /// Per row, the number of padding ids at its start (0 for every row without padding).
    public let leftPadding: [Int]

    /// A rectangular batch; `attentionMask` (same shape, 1 for a real id and 0 for padding) may
    /// mark left padding, as HF's `attention_mask` does.
    /// - Throws: `TransformerError.invalidInput` for ragged rows, an empty batch, a mask of another
    ///   shape, values other than 0 and 1, or padding anywhere but at the start of a row.
    public init(_ rows: [[Int]], attentionMask: [[Int]]? = nil) throws {
        guard let first = rows.first, !first.isEmpty else {
            throw TransformerError.invalidInput("a token batch needs at least one row of at least one id")
        }
        if let ragged = rows.firstIndex(where: { $0.count != first.count }) {
            throw TransformerError.invalidInput("row \(ragged) has \(rows[ragged].count) ids, row 0 has \(first.count): rows must have equal lengths (use TokenBatch.leftPadded)")
        }
        var padding = [Int](repeating: 0, count: rows.count)
        if let attentionMask {
            guard attentionMask.count == rows.count, attentionMask.allSatisfy({ $0.count == first.count }) else {
                throw TransformerError.invalidInput("the attention mask must have the ids' shape [\(rows.count), \(first.count)]")
            }
            for (row, mask) in attentionMask.enumerated() {
                let leading = mask.prefix { $0 == 0 }.count
                guard mask.dropFirst(leading).allSatisfy({ $0 == 1 }), leading < mask.count else {
                    throw TransformerError.invalidInput(
                        "attention mask row \(row) is \(mask): only left padding is supported (zeros, then at least one one)")
                }
                padding[row] = leading
            }
        }
        ids = rows.flatMap { $0 }
        batch = rows.count
        length = first.count
        leftPadding = padding
    }

    /// Prompts of different lengths, left-padded with `padToken` to the longest.
    /// - Throws: `TransformerError.invalidInput` for no prompts or an empty prompt.
    public static func leftPadded(_ prompts: [[Int]], padToken: Int = 0) throws -> TokenBatch {
        if let empty = prompts.firstIndex(where: \.isEmpty) {
            throw TransformerError.invalidInput("prompt \(empty) is empty")
        }
        let longest = prompts.map(\.count).max() ?? 0
        let rows = prompts.map { [Int](repeating: padToken, count: longest - $0.count) + $0 }
        let mask = prompts.map { [Int](repeating: 0, count: longest - $0.count) + [Int](repeating: 1, count: $0.count) }
        return try TokenBatch(rows, attentionMask: mask)
    }

    /// The ids of row `row`.
    public func row(_ row: Int) -> ArraySlice<Int> { ids[(row * length)..<((row + 1) * length)] }

    /// The position ids HF's `generate` gives: `cumsum(mask) − 1`, clamped at 0 (so padding has
    /// position 0 and each row's first real token position 0).
    public var positionIds: [Int] {
        (0..<batch).flatMap { row in (0..<length).map { max(0, $0 - leftPadding[row]) } }
    }

    /// The labels of plain language modelling: the ids, with −100 (ignored) at padding and at each
    /// row's first real token, which no real position predicts (HF's plain `labels = input_ids`
    /// would make the last padding position predict it).
    public var defaultLabels: [[Int]] {
        (0..<batch).map { row in self.row(row).enumerated().map { $0.offset <= leftPadding[row] ? -100 : $0.element } }
    }

    /// Whether any row is padded.
    public var isPadded: Bool { leftPadding.contains { $0 > 0 } }
}
