import Alignment
import CausalModels
import Interventions
import Networks
import Tensors

/// Sum of three digits, `O = (X + Y) + Z`: does a network trained on the sum compute the partial
/// sum `S1 = X + Y` in a subspace of one of its hidden layers?
public enum SumOfThree {
    /// The aligned variable.
    public static let variables = ["S1"]

    /// An MLP (one-hot digits in, 28 sums out) trained on all 1000 inputs, and its accuracy on them.
    public static func trainedNetwork(hiddenDimensions: [Int] = [24, 24], epochs: Int = 300, seed: UInt64) throws
        -> (network: MultilayerPerceptron, accuracy: Double) {
        let task = try CausalTask.sumOfThree()
        let network = try MultilayerPerceptron(
            MLPConfiguration(inputDimension: task.encoding.featureCount, hiddenDimensions: hiddenDimensions,
                             outputDimension: task.encoding.classCount, activation: .relu), seed: seed)
        return (network, try train(network, epochs: epochs, seed: seed))
    }

    /// Trains `network` on all 1000 inputs (Adam, lr 0.003, batches of 50) and returns its accuracy on them.
    public static func train(_ network: MultilayerPerceptron, epochs: Int, seed: UInt64) throws -> Double {
        let task = try CausalTask.sumOfThree()
        let inputs = try task.model.allInputs(limit: 1000)
        let features = try Tensor(shape: [inputs.count, task.encoding.featureCount], scalars: inputs.flatMap { try task.encoding.encode(input: $0) })
        let labels = try inputs.map { try task.encoding.classIndex(of: task.model.run(inputs: $0).restricted(to: task.model.outputs)) }
        try network.train(inputs: features, labels: labels,
                          options: ClassifierTrainingOptions(epochs: epochs, batchSize: 50, learningRate: 0.003, seed: seed &+ 1))
        return try network.accuracy(inputs: features, labels: labels)
    }

    /// Counterfactual data intervening on `S1`: training, validation and test splits.
    public static func data(trainingCount: Int, validationCount: Int = 0, testCount: Int, seed: UInt64) throws -> ExperimentData {
        try ExperimentData(task: .sumOfThree(), variables: variables, interventionSets: [variables],
                           trainingCount: trainingCount, validationCount: validationCount, testCount: testCount, seed: seed,
                           options: CounterfactualOptions(balancesLabels: false))
    }

    /// DAS for `S1` at every hidden layer and subspace size, each cell beside its controls and
    /// scored on the validation split too (what the best cell is chosen on).
    public static func search(network: MultilayerPerceptron, sizes: [Int], data: ExperimentData, epochs: Int, seed: UInt64)
        throws -> [AlignmentResult] {
        let grid = try AlignmentGrid(network: network, sites: network.sites.map(\.description), sizes: sizes, variableCount: 1)
        return try grid.cells.map { cell in
            try DistributedAlignmentSearch.alignWithControls(
                network: network,
                configuration: DASConfiguration(site: cell.site, variables: variables, subspaceSizes: [cell.subspaceSize],
                                                epochs: epochs, batchSize: 64, learningRate: 0.01, seed: seed),
                training: data.training, validation: data.validation, tests: data.tests, randomNetworkSeed: seed &+ 1000).result
        }
    }
}
