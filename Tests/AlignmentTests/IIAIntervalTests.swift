import Foundation
import Testing
@testable import Alignment

/// The intervals `das-search` and the experiments report beside IIA.
@Suite struct IIAIntervalTests {
    @Test func wilsonIntervalMatchesItsFormulaInFloat64() {
        // 80 of 100: p̂ = 0.8, z = 1.96; centre (0.8 + 0.019208) / 1.038415, half-width 1.96 √(0.0016 + 0.00009604) / 1.038415.
        let interval = IIAInterval.binomial(successes: 80, trials: 100)
        let z = 1.959963984540054, n = 100.0, p = 0.8
        let centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        let half = z * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot() / (1 + z * z / n)
        #expect(interval.median == 0.8)
        #expect(abs(interval.low - (centre - half)) < 1e-12 && abs(interval.high - (centre + half)) < 1e-12)
        // The published Wilson interval for 80/100 is [0.711, 0.867].
        #expect(abs(interval.low - 0.7112) < 5e-4 && abs(interval.high - 0.8666) < 5e-4)
        // All correct still leaves room below 1; none correct above 0.
        let perfect = IIAInterval.binomial(successes: 500, trials: 500)
        #expect(perfect.high == 1 && perfect.low < 0.995 && perfect.low > 0.99)
        #expect(IIAInterval.binomial(successes: 0, trials: 50).high > 0.05)
    }

    @Test func binomialCDFMatchesDirectSums() {
        let cdf = IIAInterval.binomialCDF(trials: 3, probability: 0.5)
        for (value, expected) in zip(cdf, [0.125, 0.5, 0.875, 1.0]) { #expect(abs(value - expected) < 1e-12) }
        // P(X ≤ 1) for n = 10, p = 0.3: 0.7¹⁰ + 10 · 0.3 · 0.7⁹.
        let ten = IIAInterval.binomialCDF(trials: 10, probability: 0.3)
        #expect(abs(ten[1] - (pow(0.7, 10) + 10 * 0.3 * pow(0.7, 9))) < 1e-12)
        #expect(IIAInterval.binomialCDF(trials: 2000, probability: 0.9).last == 1)
    }

    @Test func bootstrapCoversSeedsAndExamples() {
        // One seed: only the examples vary, so the interval is close to the binomial one.
        let single = IIAInterval.bootstrap(values: [0.8], examples: 1000, seed: 1)
        let wilson = IIAInterval.binomial(successes: 800, trials: 1000)
        #expect(abs(single.low - wilson.low) < 0.01 && abs(single.high - wilson.high) < 0.01)
        // Seeds that disagree widen it beyond what the examples alone give.
        let agreeing = IIAInterval.bootstrap(values: [0.85, 0.85, 0.85, 0.85, 0.85], examples: 1000, seed: 1)
        let spread = IIAInterval.bootstrap(values: [0.75, 0.8, 0.85, 0.9, 0.95], examples: 1000, seed: 1)
        #expect(spread.median == 0.85 && agreeing.median == 0.85)
        #expect(spread.high - spread.low > 2 * (agreeing.high - agreeing.low))
        #expect(spread.low < 0.85 && spread.high > 0.85 && spread.low >= 0.75 - 0.03 && spread.high <= 0.95 + 0.03)
        // Deterministic for a seed, as reports must be.
        #expect(IIAInterval.bootstrap(values: [0.7, 0.9, 0.8], examples: 300, seed: 4) == IIAInterval.bootstrap(values: [0.7, 0.9, 0.8], examples: 300, seed: 4))
        #expect(IIAInterval.median([3, 1, 2, 10]) == 2.5)
    }
}
