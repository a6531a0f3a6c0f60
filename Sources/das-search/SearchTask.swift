import Alignment
import CausalModels
import CommandLineSupport
import Experiments
import Networks
import Tensors

/// A built-in experiment `das-search` can run: the causal model, the variables aligned, the
/// interventions sampled, and how its network is trained when no `--model` is given.
struct SearchTask {
    let name: String
    let task: CausalTask
    /// The aligned variables, in subspace order.
    let variables: [String]
    /// The sets of variables intervened on together; each is a test split.
    let interventionSets: [[String]]
    let defaultSizes: [Int]
    let hiddenDimensions: [Int]
    /// Trains a fresh network of `configuration` from `seed`; returns its accuracy on held-out (or all) inputs.
    let train: (MultilayerPerceptron, UInt64) throws -> Double

    static let names = ["boolean-and", "sum", "hierarchical-equality"]

    /// The task named `name`.
    static func named(_ name: String) throws -> SearchTask {
        switch name {
        case "boolean-and":
            let task = try CausalTask.booleanAnd()
            return SearchTask(name: name, task: task, variables: ["A", "B"], interventionSets: ExperimentData.singlesAndAll(["A", "B"]),
                              defaultSizes: [1, 2], hiddenDimensions: [4, 4]) { network, seed in
                let inputs = try task.model.allInputs()
                let features = try Tensor(shape: [inputs.count, 2], scalars: inputs.flatMap { try task.encoding.encode(input: $0) })
                let labels = try inputs.map { try task.encoding.classIndex(of: task.model.run(inputs: $0).restricted(to: task.model.outputs)) }
                try network.train(inputs: features, labels: labels, options: ClassifierTrainingOptions(epochs: 400, batchSize: 4, learningRate: 0.03, seed: seed))
                return try network.accuracy(inputs: features, labels: labels)
            }
        case "sum":
            return SearchTask(name: name, task: try CausalTask.sumOfThree(), variables: SumOfThree.variables, interventionSets: [SumOfThree.variables],
                              defaultSizes: [1, 2, 4, 8], hiddenDimensions: [24, 24]) { network, seed in
                try SumOfThree.train(network, epochs: 300, seed: seed)
            }
        case "hierarchical-equality":
            let task = try CausalTask.hierarchicalEquality()
            return SearchTask(name: name, task: task, variables: HierarchicalEquality.variables,
                              interventionSets: ExperimentData.singlesAndAll(HierarchicalEquality.variables),
                              defaultSizes: [1, 2, 4, 8], hiddenDimensions: HierarchicalEquality.NetworkRecipe.standard.hiddenDimensions) { network, seed in
                try HierarchicalEquality.train(network, task: task, recipe: .standard, seed: seed)
            }
        default:
            throw UsageError("unknown task '\(name)'; choose one of \(names.joined(separator: ", "))")
        }
    }

    /// The task of a dataset file: the built-in task of its model, aligning the variables the file
    /// intervenes on, with one intervention set (all of them together).
    /// - Throws: `UsageError` for a model that is not built in.
    static func reading(_ dataset: CounterfactualDataset) throws -> SearchTask {
        let tasks = try names.map(named)
        guard let builtIn = tasks.first(where: { $0.task.model.name == dataset.model }) else {
            throw UsageError("the --data file's model is '\(dataset.model)'; das-search knows \(tasks.map(\.task.model.name).joined(separator: ", "))")
        }
        return SearchTask(name: builtIn.name, task: builtIn.task, variables: dataset.intervenedVariables, interventionSets: [dataset.intervenedVariables],
                          defaultSizes: builtIn.defaultSizes, hiddenDimensions: builtIn.hiddenDimensions, train: builtIn.train)
    }

    /// The architecture of the network trained for this task.
    var networkConfiguration: MLPConfiguration {
        MLPConfiguration(inputDimension: task.encoding.featureCount, hiddenDimensions: hiddenDimensions,
                         outputDimension: task.encoding.classCount, activation: .relu)
    }
}
