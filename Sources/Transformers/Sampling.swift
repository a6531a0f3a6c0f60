import Foundation
import Randomness

/// How the next token is chosen from a row of logits.
public enum Sampling: Sendable, Equatable {
    /// The highest logit (the first one on ties, as `argmax` in PyTorch).
    case greedy
    /// A draw from `softmax(logits / temperature)`, restricted first to the `topK` highest logits
    /// (ties with the k-th kept) and then to the smallest set of highest-probability tokens whose
    /// probabilities sum to at least `topP` (HF's order: temperature, top-k, top-p). Draws come
    /// from a generator seeded with `seed`, so the same seed gives the same tokens.
    case sample(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, seed: UInt64)
}

/// Chooses tokens for `Sampling`, keeping the random state across steps.
struct TokenSampler {
    let sampling: Sampling
    private var generator: SeededGenerator

    /// - Throws: `TransformerError.invalidInput` for a temperature ≤ 0, top-k < 1 or top-p outside (0, 1].
    init(_ sampling: Sampling) throws {
        self.sampling = sampling
        var seed: UInt64 = 0
        if case let .sample(temperature, topK, topP, s) = sampling {
            guard temperature > 0, temperature.isFinite else { throw TransformerError.invalidInput("temperature must be positive, got \(temperature)") }
            if let topK, topK < 1 { throw TransformerError.invalidInput("top-k must be at least 1, got \(topK)") }
            if let topP, !(topP > 0 && topP <= 1) { throw TransformerError.invalidInput("top-p must be in (0, 1], got \(topP)") }
            seed = s
        }
        generator = SeededGenerator(seed: seed)
    }

    /// The token for one row of logits.
    mutating func next(_ logits: ArraySlice<Float>) -> Int {
        guard case let .sample(temperature, topK, topP, _) = sampling else {
            return Self.argmax(logits)
        }
        let base = logits.startIndex
        // Candidates sorted by logit, highest first (stable, so ties keep vocabulary order).
        var order = Array(logits.indices).sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        if let topK, topK < order.count {
            let threshold = logits[order[topK - 1]]
            order = order.filter { logits[$0] >= threshold }
        }
        let largest = logits[order[0]]
        var weights = order.map { Double(Foundation.exp((logits[$0] - largest) / temperature)) }
        let total = weights.reduce(0, +)
        if let topP, topP < 1 {
            var cumulative = 0.0
            var kept = 0
            for weight in weights {
                kept += 1
                cumulative += weight / total
                if cumulative >= Double(topP) { break }
            }
            order.removeSubrange(kept...)
            weights.removeSubrange(kept...)
        }
        let draw = generator.nextUniform() * weights.reduce(0, +)
        var cumulative = 0.0
        for (index, weight) in zip(order, weights) {
            cumulative += weight
            if draw < cumulative { return index - base }
        }
        return order.last! - base
    }

    static func argmax(_ row: ArraySlice<Float>) -> Int {
        var best = row.startIndex
        for i in row.indices where row[i] > row[best] { best = i }
        return best - row.startIndex
    }
}
