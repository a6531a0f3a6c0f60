import Alignment
import CausalModels
import CommandLineSupport
import Experiments
import Foundation
import Randomness

/// The counterfactuals a search runs on, per intervention set and split: sampled from a built-in task
/// (`ExperimentData`), or read from JSON Lines dataset files (`--data`, `--validation`, `--test`).
struct SearchData {
    /// The training examples of every set, mixed.
    let training: AlignmentDataset
    /// The training examples of each set, in the order of the sets.
    let trainingSets: [AlignmentDataset]
    /// One validation dataset per set (empty when there is none).
    let validationSets: [AlignmentDataset]
    /// One test dataset per set.
    let tests: [AlignmentDataset]
    let overlap: SplitOverlap

    /// The non-empty validation datasets.
    var validation: [AlignmentDataset] { validationSets.filter { $0.count > 0 } }

    /// The sampled data of a built-in task.
    init(_ data: ExperimentData) {
        training = data.training
        trainingSets = data.trainingSets
        validationSets = data.validationSets
        tests = data.tests
        overlap = data.overlap
    }

    /// One intervention set's splits, already encoded.
    init(training: AlignmentDataset, validation: AlignmentDataset, test: AlignmentDataset) {
        self.training = training
        trainingSets = [training]
        validationSets = [validation]
        tests = [test]
        overlap = SplitOverlap(training: [training], validation: [validation], tests: [test])
    }
}

/// The datasets of `das-search --data TRAIN.jsonl [--validation FILE] [--test FILE]`.
struct DatasetFiles {
    /// The training file's dataset (the variables and the model come from its header).
    let training: CounterfactualDataset
    let validation: CounterfactualDataset?
    let test: CounterfactualDataset?
    /// Each dataset's file, for messages.
    private let paths: (training: String, validation: String?, test: String?)

    /// The fractions of the training file held out when `--validation` or `--test` is missing.
    static let validationFraction = 0.1, testFraction = 0.2

    /// Reads the files, each checked to be a counterfactual dataset of the same model intervening on the same variables.
    /// - Throws: `RuntimeError` naming the file and, for a malformed line, its number.
    init(training: String, validation: String?, test: String?) throws {
        paths = (training, validation, test)
        self.training = try Self.read(training, flag: "--data")
        self.validation = try validation.map { try Self.read($0, flag: "--validation") }
        self.test = try test.map { try Self.read($0, flag: "--test") }
        for (path, dataset) in [(validation, self.validation), (test, self.test)] {
            guard let path, let dataset else { continue }
            guard dataset.model == self.training.model, dataset.intervenedVariables == self.training.intervenedVariables else {
                throw UsageError("\(path) holds counterfactuals of model '\(dataset.model)' intervening on \(dataset.intervenedVariables.joined(separator: "+")); "
                    + "\(training) has model '\(self.training.model)' intervening on \(self.training.intervenedVariables.joined(separator: "+"))")
            }
        }
    }

    static func read(_ path: String, flag: String) throws -> CounterfactualDataset {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RuntimeError("cannot read the \(flag) file \(path): \(FileMessages.reason(error))")
        }
        do {
            let dataset = try CounterfactualDataset(jsonLines: data)
            guard !dataset.examples.isEmpty else { throw RuntimeError("\(path) holds no examples") }
            return dataset
        } catch let error as DatasetError {
            throw RuntimeError("\(path): \(error.description)")
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw RuntimeError("\(path) is not a counterfactual dataset: \(error)")
        }
    }

    /// The splits, encoded for `task`: missing validation or test examples are drawn from the training
    /// file with `seed` (validation `validationFraction`, test `testFraction` of it, at least one each), and
    /// `note` says so.
    /// - Throws: `UsageError` when the training file is too small to split; encoding errors for values the task's encoding rejects.
    func splits(for task: CausalTask, seed: UInt64, note: (String) -> Void) throws -> SearchData {
        let variables = training.intervenedVariables
        func encoded(_ dataset: CounterfactualDataset, _ path: String) throws -> AlignmentDataset {
            do {
                return try AlignmentDataset(dataset, variables: variables, encoding: task.encoding)
            } catch {
                // Only on failure: find the example at fault, to name its line (the header is line 1; the
                // reader refuses files whose example count disagrees with the header, so blank lines aside
                // example i is on line i + 2).
                for (index, example) in dataset.examples.enumerated() {
                    let one = CounterfactualDataset(model: dataset.model, seed: dataset.seed, intervenedVariables: dataset.intervenedVariables,
                                                    options: dataset.options, examples: [example])
                    do { _ = try AlignmentDataset(one, variables: variables, encoding: task.encoding) } catch {
                        throw RuntimeError("\(path): line \(index + 2): \(error)")
                    }
                }
                throw RuntimeError("\(path): \(error)")
            }
        }
        var trainingSet = try encoded(training, paths.training)
        let validationSet = try validation.map { try encoded($0, paths.validation ?? "--validation") }
        let testSet = try test.map { try encoded($0, paths.test ?? "--test") }
        if let validationSet, let testSet { return SearchData(training: trainingSet, validation: validationSet, test: testSet) }
        let count = trainingSet.count
        let validationCount = validation == nil ? max(1, Int(Double(count) * Self.validationFraction)) : 0
        let testCount = test == nil ? max(1, Int(Double(count) * Self.testFraction)) : 0
        guard count > validationCount + testCount else {
            throw UsageError("the --data file has \(count) examples: too few to hold out \(validationCount + testCount) for validation and test; give --validation and --test files")
        }
        var generator = SeededGenerator(seed: seed)
        let order = generator.permutation(of: Array(0..<count))
        let heldValidation = try validationSet ?? trainingSet.rows(Array(order[0..<validationCount]))
        let heldTest = try testSet ?? trainingSet.rows(Array(order[validationCount..<(validationCount + testCount)]))
        let trainingRows = Array(order[(validationCount + testCount)...])
        trainingSet = try trainingSet.rows(trainingRows)
        note("No \([validation == nil ? "--validation" : nil, test == nil ? "--test" : nil].compactMap { $0 }.joined(separator: " or ")) file: "
             + "the \(count) examples of the --data file are split (seed \(seed)) into \(trainingRows.count) training"
             + (validation == nil ? ", \(validationCount) validation" : "") + (test == nil ? ", \(testCount) test" : "") + " examples.")
        return SearchData(training: trainingSet, validation: heldValidation, test: heldTest)
    }
}
