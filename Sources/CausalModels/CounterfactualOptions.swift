import Foundation

/// How a counterfactual dataset is drawn.
public struct CounterfactualOptions: Codable, Hashable, Sendable {
    /// Whether every counterfactual output class appears equally often (the counts differ by at
    /// most one; which classes get the extra example is drawn from the seed).
    public var balancesLabels: Bool
    /// Whether examples whose counterfactual output equals the base output are kept (`true`) or
    /// redrawn (`false`).
    public var keepsUnchangedExamples: Bool
    /// The most draws spent on one example before giving up; without a bound, a label the
    /// intervention cannot produce would be sought forever.
    public var maximumDrawsPerExample: Int

    /// Creates options; the defaults draw examples as they come.
    public init(balancesLabels: Bool = false, keepsUnchangedExamples: Bool = true, maximumDrawsPerExample: Int = 100_000) {
        self.balancesLabels = balancesLabels
        self.keepsUnchangedExamples = keepsUnchangedExamples
        self.maximumDrawsPerExample = maximumDrawsPerExample
    }
}
