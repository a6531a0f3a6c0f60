import Alignment
import CausalModels

/// Counterfactual data for DAS: one dataset per set of intervened variables (e.g. `WX`, `YZ` and
/// `WX+YZ`), encoded for the network, in three splits drawn apart from each other: training,
/// validation (what restarts, cells and learning rates are chosen on) and test (scored once, for
/// what was chosen).
public struct ExperimentData {
    /// The training examples of every set, mixed.
    public let training: AlignmentDataset
    /// The training examples of each set on its own, in the order of the sets.
    public let trainingSets: [AlignmentDataset]
    /// One validation dataset per set of intervened variables (empty datasets when `validationCount` is 0).
    public let validationSets: [AlignmentDataset]
    /// One held-out dataset per set of intervened variables.
    public let tests: [AlignmentDataset]
    /// How much the splits share (see `SplitOverlap`).
    public let overlap: SplitOverlap

    /// Draws `trainingCount` training, `validationCount` validation and `testCount` test examples
    /// for each set in `interventionSets`. Every set and split gets its own seed: training
    /// `seed·1000 + i`, test `seed·1000 + 500 + i`, validation `v·1000 + 250 + i` with `v` the
    /// `validationSeed` (default `seed`), for the `i`-th set.
    public init(task: CausalTask, variables: [String], interventionSets: [[String]], trainingCount: Int, validationCount: Int = 0,
                testCount: Int, seed: UInt64, validationSeed: UInt64? = nil,
                options: CounterfactualOptions = CounterfactualOptions(balancesLabels: true)) throws {
        func encoded(_ set: [String], count: Int, seed: UInt64) throws -> AlignmentDataset {
            try AlignmentDataset(CounterfactualDataset(sampling: task.model, intervening: set, count: count, seed: seed, options: options),
                                 variables: variables, encoding: task.encoding)
        }
        trainingSets = try interventionSets.enumerated().map { index, set in
            try encoded(set, count: trainingCount, seed: seed &* 1000 &+ UInt64(index))
        }
        training = try AlignmentDataset.concatenating(trainingSets)
        validationSets = try interventionSets.enumerated().map { index, set in
            try encoded(set, count: validationCount, seed: (validationSeed ?? seed) &* 1000 &+ 250 &+ UInt64(index))
        }
        tests = try interventionSets.enumerated().map { index, set in
            try encoded(set, count: testCount, seed: seed &* 1000 &+ 500 &+ UInt64(index))
        }
        overlap = SplitOverlap(training: trainingSets, validation: validationSets, tests: tests)
    }

    /// Data from splits drawn elsewhere: one dataset per set of intervened variables in each split.
    /// - Throws: `AlignmentError.invalidConfiguration` when the training sets do not share their variables.
    public init(trainingSets: [AlignmentDataset], validationSets: [AlignmentDataset], tests: [AlignmentDataset]) throws {
        self.trainingSets = trainingSets
        training = try AlignmentDataset.concatenating(trainingSets)
        self.validationSets = validationSets
        self.tests = tests
        overlap = SplitOverlap(training: trainingSets, validation: validationSets, tests: tests)
    }

    /// The validation examples of every set, mixed (what a choice is made on).
    public var validation: [AlignmentDataset] { validationSets.filter { $0.count > 0 } }

    /// Every single variable on its own, then all of them together.
    public static func singlesAndAll(_ variables: [String]) -> [[String]] {
        variables.count == 1 ? [variables] : variables.map { [$0] } + [variables]
    }
}
