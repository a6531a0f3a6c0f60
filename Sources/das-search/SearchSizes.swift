import Foundation
import Tensors

/// The sizes a search's flags imply, each computed with `CheckedSize` before anything is multiplied or
/// allocated, so a flag such as `--dims 4611686018427387904` or `--train-size 1000000000000` gives an
/// error naming the flag instead of an overflow trap or an allocation abort.
struct SearchSizes {
    /// The counterfactual examples one DAS run trains on (every intervention set's, concatenated).
    let trainingExamples: Int
    /// The bytes of every split's encoded inputs: a lower bound on what the data needs.
    let dataBytes: Int

    /// Checks the flags' sizes for a task with `variableCount` aligned variables, `setCount` intervention
    /// sets and inputs of `featureCount` floats.
    /// - Throws: `SizeError` naming the flag and, for data that would not fit in memory, how much it needs.
    init(dims: [Int], variableCount: Int, setCount: Int, featureCount: Int, epochs: Int, batchSize: Int,
         trainSize: Int, validationSize: Int, testSize: Int, memoryLimit: Int = CheckedSize.defaultAllocationLimit) throws {
        for size in dims {
            // The width a cell rotates: compared with the layer's width, so it must be a number first.
            _ = try CheckedSize.product([size, variableCount], of: "--dims \(size) × \(variableCount) variables")
        }
        trainingExamples = try CheckedSize.product([trainSize, setCount], of: "--train-size \(trainSize) × \(setCount) intervention sets")
        // A minibatch ends at start + batch size, with start below the example count.
        _ = try CheckedSize.sum([trainingExamples, batchSize], of: "--batch-size \(batchSize) + \(trainingExamples) training examples")
        // The steps of one run are at most epochs × examples.
        _ = try CheckedSize.product([epochs, trainingExamples], of: "--epochs \(epochs) × \(trainingExamples) training examples")
        let perSet = try CheckedSize.sum([trainSize, validationSize, testSize], of: "--train-size + --validation-size + --test-size")
        let examples = try CheckedSize.product([perSet, setCount], of: "the counterfactual examples (\(perSet) per set × \(setCount) sets)")
        // Each example holds its base input and one source per variable, plus two labels.
        let exampleBytes = try CheckedSize.sum(
            [CheckedSize.bytes(count: (1 + variableCount) * featureCount, elementSize: MemoryLayout<Float>.stride, of: "one example's inputs"),
             2 * MemoryLayout<Int>.stride], of: "one example")
        dataBytes = try CheckedSize.allocation(count: examples, elementSize: exampleBytes,
                                               of: "the data of --train-size \(trainSize), --validation-size \(validationSize), --test-size \(testSize) (\(examples) examples)",
                                               limit: memoryLimit)
    }
}
