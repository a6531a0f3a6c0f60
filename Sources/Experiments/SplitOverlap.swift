import Alignment

/// How much the training, validation and test counterfactuals share. The splits are drawn with
/// different seeds, but a task with few inputs (boolean AND has 4, so 16 base–source pairs per
/// intervention) repeats examples across them: its "held-out" IIA then measures fit, not
/// generalization, and reports must say so.
///
/// Two examples are the same when their base and every source encode to the same features.
public struct SplitOverlap: Codable, Sendable, Equatable {
    /// The fraction of validation examples that also occur among the training examples.
    public var validationInTraining: Double
    /// The fraction of test examples that also occur among the training examples.
    public var testInTraining: Double
    /// The fraction of test examples that also occur among the validation examples.
    public var testInValidation: Double
    /// The number of distinct training examples, over all intervention sets.
    public var distinctTraining: Int
    /// The number of training examples, over all intervention sets.
    public var trainingCount: Int
    /// The number of validation examples, over all intervention sets (0 when there is no validation split).
    public var validationCount: Int

    /// Compares the splits set by set (an example of one intervention set is compared only with the
    /// same set's examples, since the same inputs mean a different counterfactual in another set).
    public init(training: [AlignmentDataset], validation: [AlignmentDataset], tests: [AlignmentDataset]) {
        func keys(_ data: AlignmentDataset) -> [[UInt32]] {
            let width = data.baseInputs.shape.last ?? 0
            return (0..<data.count).map { row in
                ([data.baseInputs] + data.sourceInputs).flatMap { tensor in
                    tensor.scalars[(row * width)..<((row + 1) * width)].map(\.bitPattern)
                }
            }
        }
        func fraction(of parts: [AlignmentDataset], in references: [AlignmentDataset]) -> Double {
            var shared = 0, total = 0
            for (part, reference) in zip(parts, references) {
                let known = Set(keys(reference))
                shared += keys(part).filter { known.contains($0) }.count
                total += part.count
            }
            return total == 0 ? 0 : Double(shared) / Double(total)
        }
        validationInTraining = fraction(of: validation, in: training)
        testInTraining = fraction(of: tests, in: training)
        testInValidation = fraction(of: tests, in: validation)
        distinctTraining = training.reduce(0) { $0 + Set(keys($1)).count }
        trainingCount = training.reduce(0) { $0 + $1.count }
        validationCount = validation.reduce(0) { $0 + $1.count }
    }

    /// Whether the test split is mostly examples seen in training (more than half).
    public var testIsMostlySeen: Bool { testInTraining > 0.5 }

    /// One line for reports: the overlaps, and a plain warning when the test split is mostly seen.
    public var summary: String {
        func percent(_ value: Double) -> String { String(format: "%.1f%%", 100 * value) }
        var line = validationCount == 0
            ? "split overlap: \(percent(testInTraining)) of test examples also occur in training (\(distinctTraining) distinct of \(trainingCount) training examples; no validation split)"
            : "split overlap: \(percent(testInTraining)) of test and \(percent(validationInTraining)) of validation examples also occur in training, \(percent(testInValidation)) of test in validation (\(distinctTraining) distinct of \(trainingCount) training examples)"
        if testIsMostlySeen {
            line += "\nNOTE: this task has few distinct counterfactuals, so most test examples were seen in training: its IIA measures how well DAS fits them, not how it generalizes to held-out data."
        }
        return line
    }
}
