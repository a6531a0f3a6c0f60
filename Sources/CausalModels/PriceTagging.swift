import Foundation
import Randomness

extension CausalTask {
    /// Price tagging (the Boundless DAS paper's task): "say yes only if it costs between `X` and `Y`
    /// dollars, otherwise no; it costs `Z` dollars". Inputs are whole-dollar amounts `X < Y` and `Z`;
    /// `LB = (Z >= X)` is the lower-bound check, `UB = (Z <= Y)` the upper-bound check, and the
    /// output `O = LB and UB`.
    ///
    /// The input distribution keeps the answer balanced: `X < Y` are two distinct amounts drawn
    /// uniformly (sorted); with probability 1/2 `Z` is uniform in `X...Y` (yes), otherwise uniform
    /// among the amounts outside it (no; below `X` or above `Y` in proportion to how many there are).
    /// Uniform draws would make "yes" depend on the bracket's width alone.
    ///
    /// - Parameter amounts: the whole-dollar amounts, at least 3 (default 1...30).
    /// - Throws: `CausalModelError.invalidArgument` for fewer than 3 amounts.
    public static func priceTagging(amounts: ClosedRange<Int> = 1...30) throws -> CausalTask {
        guard amounts.count >= 3 else {
            throw CausalModelError.invalidArgument(name: "the amounts", value: "\(amounts)", expected: "at least 3 amounts, so that a price can fall below, inside and above a bracket")
        }
        let amount = Domain.integers(amounts)
        let (low, count) = (amounts.lowerBound, amounts.count)
        let model = try CausalModel(
            name: "price-tagging",
            variables: [
                Variable("X", domain: amount),
                Variable("Y", domain: amount),
                Variable("Z", domain: amount),
                Variable("LB", domain: .booleans, parents: ["X", "Z"]) { parents in .bool(try parents.int("Z") >= parents.int("X")) },
                Variable("UB", domain: .booleans, parents: ["Y", "Z"]) { parents in .bool(try parents.int("Z") <= parents.int("Y")) },
                Variable("O", domain: .booleans, parents: ["LB", "UB"]) { parents in .bool(try parents.bool("LB") && parents.bool("UB")) },
            ],
            inputSampler: { generator in
                let first = generator.nextInt(below: count)
                let other = generator.nextInt(below: count - 1)
                let second = other < first ? other : other + 1
                let (x, y) = (low + min(first, second), low + max(first, second))
                let inside = y - x + 1
                let outside = count - inside
                let z: Int
                if outside == 0 || generator.nextUniform() < 0.5 {
                    z = x + generator.nextInt(below: inside)
                } else {
                    let pick = generator.nextInt(below: outside)
                    let below = x - low
                    z = pick < below ? low + pick : y + 1 + (pick - below)
                }
                return ["X": .int(x), "Y": .int(y), "Z": .int(z)]
            }
        )
        return CausalTask(
            model: model,
            encoding: try NetworkEncoding(model: model),
            summary: "O = (Z >= X) and (Z <= Y) over whole-dollar amounts \(amounts.lowerBound)...\(amounts.upperBound), X < Y"
        )
    }
}
