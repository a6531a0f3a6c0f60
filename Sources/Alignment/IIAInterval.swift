import Foundation
import Tensors

/// A point estimate of IIA with a 95% interval, as reported by `das-search` and the experiments.
public struct IIAInterval: Codable, Sendable, Equatable {
    /// The median over seeds (or the one seed's IIA).
    public var median: Double
    public var low: Double
    public var high: Double
    /// How the interval was made: `binomial` (Wilson, one seed) or `bootstrap` (over seeds and examples).
    public var method: String

    public init(median: Double, low: Double, high: Double, method: String) {
        self.median = median
        self.low = low
        self.high = high
        self.method = method
    }

    /// `0.853 [0.831, 0.874]`.
    public var formatted: String { String(format: "%.3f [%.3f, %.3f]", median, low, high) }

    /// The Wilson score interval of a binomial proportion at 95%: for one DAS run's IIA, where the
    /// only randomness left is which `trials` examples were drawn.
    /// `p̂ = k/n`, `z = 1.96`, centre `(p̂ + z²/2n) / (1 + z²/n)`, half-width
    /// `z √(p̂(1 − p̂)/n + z²/4n²) / (1 + z²/n)`.
    public static func binomial(successes: Int, trials: Int) -> IIAInterval {
        guard trials > 0 else { return IIAInterval(median: .nan, low: .nan, high: .nan, method: "binomial") }
        let n = Double(trials), p = Double(successes) / n, z = 1.959_963_984_540_054
        let denominator = 1 + z * z / n
        let centre = (p + z * z / (2 * n)) / denominator
        let half = z * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot() / denominator
        return IIAInterval(median: p, low: max(0, centre - half), high: min(1, centre + half), method: "binomial")
    }

    /// The median over seeds of IIA, with a 95% percentile-bootstrap interval that resamples both
    /// the seeds and, within each, the `examples` test examples it was scored on.
    ///
    /// One resample draws `values.count` seeds with replacement; for each drawn seed with IIA `p`,
    /// resampling its `n` examples with replacement gives a count of correct ones distributed
    /// Binomial(n, p), so it is drawn from that distribution directly (by inverting its CDF); the
    /// resample's statistic is the median of the resulting IIAs. The interval is the 2.5th and
    /// 97.5th percentiles of `resamples` such medians.
    public static func bootstrap(values: [Double], examples: Int, resamples: Int = 2000, seed: UInt64 = 0) -> IIAInterval {
        guard !values.isEmpty, examples > 0 else { return IIAInterval(median: .nan, low: .nan, high: .nan, method: "bootstrap") }
        let cumulative = values.map { binomialCDF(trials: examples, probability: $0) }
        var generator = SeededGenerator(seed: seed)
        var medians: [Double] = []
        medians.reserveCapacity(resamples)
        for _ in 0..<resamples {
            let draws = values.indices.map { _ -> Double in
                let cdf = cumulative[generator.nextInt(below: values.count)]
                let u = generator.nextUniform()
                // The smallest k with CDF(k) ≥ u.
                var (low, high) = (0, cdf.count - 1)
                while low < high {
                    let middle = (low + high) / 2
                    if cdf[middle] >= u { high = middle } else { low = middle + 1 }
                }
                return Double(low) / Double(examples)
            }
            medians.append(median(draws))
        }
        medians.sort()
        func percentile(_ q: Double) -> Double { medians[min(medians.count - 1, max(0, Int((q * Double(medians.count - 1)).rounded())))] }
        return IIAInterval(median: median(values), low: percentile(0.025), high: percentile(0.975), method: "bootstrap")
    }

    /// The median (the mean of the two middle values for an even count).
    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// `P(X ≤ k)` for `k = 0…n`, `X ~ Binomial(n, p)`, from log-probabilities (no overflow at large `n`).
    static func binomialCDF(trials n: Int, probability p: Double) -> [Double] {
        if p <= 0 { return [Double](repeating: 1, count: n + 1) }
        if p >= 1 { return [Double](repeating: 0, count: n) + [1] }
        let logP = log(p), logQ = log1p(-p)
        var cdf = [Double](repeating: 0, count: n + 1)
        var total = 0.0
        for k in 0...n {
            let logChoose = lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
            total += exp(logChoose + Double(k) * logP + Double(n - k) * logQ)
            cdf[k] = total
        }
        cdf[n] = 1
        return cdf
    }
}
