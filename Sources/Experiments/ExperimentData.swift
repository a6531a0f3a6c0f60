import Alignment
import CausalModels

/// Counterfactual data for DAS: one dataset per set of intervened variables (e.g. `WX`, `YZ` and
/// `WX+YZ`), encoded for the network.
public struct ExperimentData {
    /// The training examples of every set, mixed.
    public let training: AlignmentDataset
    /// The training examples of each set on its own, in the order of the sets.
    public let trainingSets: [AlignmentDataset]
    /// One held-out dataset per set of intervened variables.
    public let tests: [AlignmentDataset]

    /// Draws `trainingCount` training and `testCount` test examples for each set in `interventionSets`,
    /// seeded from `seed` (every set and split gets its own seed derived from it).
    public init(task: CausalTask, variables: [String], interventionSets: [[String]], trainingCount: Int, testCount: Int,
                seed: UInt64, options: CounterfactualOptions = CounterfactualOptions(balancesLabels: true)) throws {
        func encoded(_ set: [String], count: Int, seed: UInt64) throws -> AlignmentDataset {
            try AlignmentDataset(CounterfactualDataset(sampling: task.model, intervening: set, count: count, seed: seed, options: options),
                                 variables: variables, encoding: task.encoding)
        }
        trainingSets = try interventionSets.enumerated().map { index, set in
            try encoded(set, count: trainingCount, seed: seed &* 1000 &+ UInt64(index))
        }
        training = try AlignmentDataset.concatenating(trainingSets)
        tests = try interventionSets.enumerated().map { index, set in
            try encoded(set, count: testCount, seed: seed &* 1000 &+ 500 &+ UInt64(index))
        }
    }

    /// Every single variable on its own, then all of them together.
    public static func singlesAndAll(_ variables: [String]) -> [[String]] {
        variables.count == 1 ? [variables] : variables.map { [$0] } + [variables]
    }
}
