import Alignment
import CausalModels
import Foundation
import Interventions
import Networks
import Tensors

/// Hierarchical equality, `O = ((W == X) == (Y == Z))`, in two experiments: a hand-built network
/// whose variables hide in a randomly rotated layer (where DAS must find them), and trained MLPs.
public enum HierarchicalEquality {
    /// The variables DAS aligns, with `WX` on rotated coordinates 0..7 and `YZ` on 8..15.
    public static let variables = ["WX", "YZ"]
    public static let subspaceSizes = [8, 8]

    /// A network that computes the task exactly, with `WX` held by neurons 0..7 and `YZ` by 8..15 of
    /// its first hidden layer, and that layer mixed by a seeded random orthogonal matrix `Q` in the
    /// second, so that no neuron of `layer.1` holds one variable:
    ///
    /// - `layer.0` (16): `relu(±(e_W − e_X))` in neurons 0..7, `relu(±(e_Y − e_Z))` in 8..15; all zero iff the pair is equal.
    /// - `layer.1` (16): `Q h₀ + c` with `c = 6`, above `‖h₀‖ ≤ √32` so the ReLU passes it unchanged.
    /// - `layer.2` (2): `e_WX = relu(1 − ‖e_W − e_X‖₁ / δ)`, likewise `e_YZ`, reading `h₀ = Qᵀ(h₁ − c)`;
    ///   `δ` is the smallest L1 distance between two objects' embeddings, so `e` is exactly 1 or 0.
    /// - `layer.3` (2): `relu(e_WX − e_YZ)`, `relu(e_YZ − e_WX)`; logits `(0, 8 (0.5 − both))`.
    public static func mixedNetwork(task: CausalTask, mixingSeed: UInt64) throws -> MultilayerPerceptron {
        guard case let .embedding(table)? = task.encoding.featureEncodings["W"], let dimension = table.values.first?.count, dimension * 4 == 16 else {
            throw AlignmentError.invalidConfiguration("the hand-built network needs hierarchical equality with 4-dimensional embeddings")
        }
        let vectors = Array(table.values)
        var delta = Float.infinity
        for i in vectors.indices { for j in vectors.indices where j > i {
            delta = min(delta, zip(vectors[i], vectors[j]).reduce(0) { $0 + abs($1.0 - $1.1) })
        } }
        // Layer 0: differences of the pairs, both signs.
        var first = [Float](repeating: 0, count: 16 * 16)
        for pair in 0..<2 {
            for component in 0..<4 {
                for (sign, offset) in [(Float(1), 0), (-1, 4)] {
                    let row = pair * 8 + offset + component
                    first[row * 16 + pair * 8 + component] = sign
                    first[row * 16 + pair * 8 + 4 + component] = -sign
                }
            }
        }
        let mixing = Tensor.orthogonal(rows: 16, columns: 16, seed: mixingSeed)
        let shift: Float = 6
        // Layer 2 reads Σ h₀ over each pair's block, with h₀ = Qᵀ (h₁ − c): weights −(1/δ) 1ᵀ Qᵀ.
        var readout = [Float](repeating: 0, count: 2 * 16), readoutBias = [Float](repeating: 1, count: 2)
        for pair in 0..<2 {
            for column in 0..<16 {
                let weight = -(0..<8).reduce(Float(0)) { $0 + mixing[column, pair * 8 + $1] } / delta
                readout[pair * 16 + column] = weight
                readoutBias[pair] -= weight * shift
            }
        }
        return try MultilayerPerceptron(
            layers: [
                Linear(weight: Tensor(shape: [16, 16], scalars: first), bias: Tensor.zeros(shape: [16])),
                Linear(weight: mixing, bias: Tensor.filled(shift, shape: [16])),
                Linear(weight: Tensor(shape: [2, 16], scalars: readout), bias: Tensor(readoutBias)),
                Linear(weight: Tensor(rows: [[1, -1], [-1, 1]]), bias: Tensor.zeros(shape: [2])),
            ],
            output: Linear(weight: Tensor(rows: [[0, 0], [-8, -8]]), bias: Tensor([0, 4])),
            activation: .relu)
    }

    /// The DAS configuration at `site`: a full 16 x 16 rotation with `WX` on 0..7 and `YZ` on 8..15.
    public static func configuration(site: String, epochs: Int, batchSize: Int, learningRate: Float, seed: UInt64,
                                     earlyStopping: EarlyStopping? = nil) -> DASConfiguration {
        DASConfiguration(site: site, variables: variables, subspaceSizes: subspaceSizes, epochs: epochs, batchSize: batchSize,
                         learningRate: learningRate, seed: seed, earlyStopping: earlyStopping)
    }

    /// Counterfactual data intervening on `WX`, on `YZ`, and on both: training, validation and test splits.
    public static func data(task: CausalTask, trainingCount: Int, validationCount: Int = 0, testCount: Int, seed: UInt64) throws -> ExperimentData {
        try ExperimentData(task: task, variables: variables, interventionSets: ExperimentData.singlesAndAll(variables),
                           trainingCount: trainingCount, validationCount: validationCount, testCount: testCount, seed: seed)
    }

    /// The factual inputs and labels of `count` seeded examples, for training a network on the task.
    public static func factualData(task: CausalTask, count: Int, seed: UInt64) throws -> (inputs: Tensor, labels: [Int]) {
        let dataset = try FactualDataset(sampling: task.model, count: count, seed: seed)
        let features = try dataset.examples.flatMap { try task.encoding.encode(input: $0.input) }
        return (try Tensor(shape: [count, task.encoding.featureCount], scalars: features),
                try dataset.examples.map { try task.encoding.classIndex(of: $0.output) })
    }
}

extension HierarchicalEquality {
    /// How the trained networks are made: the objects of the task, the architecture and the training run.
    public struct NetworkRecipe: Sendable, Equatable {
        /// The recipe's name in tables and output.
        public var name: String
        /// How many objects the task draws from, each a fixed random vector in [−1, 1]⁴ (the network
        /// then sees every object thousands of times); `nil` for continuous random objects, a fresh
        /// vector for every object of every example (`ContinuousObjects`), in training and in DAS's data.
        public var objectCount: Int?
        public var hiddenDimensions: [Int]
        public var trainingExamples: Int
        public var epochs: Int
        public var batchSize: Int
        public var learningRate: Float

        /// A 3-layer ReLU MLP of width 16 (input 16: four 4-dimensional objects), as in the DAS papers,
        /// trained on 100,000 examples over 100 objects.
        public static let standard = NetworkRecipe(name: "standard", objectCount: 100, hiddenDimensions: [16, 16, 16], trainingExamples: 100_000,
                                                   epochs: 10, batchSize: 64, learningRate: 0.001)

        /// The recipe of pyvene's DAS tutorial for the networks: the same MLP trained on continuous
        /// random object vectors with a larger training set, 2²⁰ = 1,048,576 examples, 3 epochs of
        /// batch 1024, Adam at lr 0.001.
        public static let pyveneTutorial = NetworkRecipe(name: "pyvene tutorial", objectCount: nil, hiddenDimensions: [16, 16, 16],
                                                         trainingExamples: 1_048_576, epochs: 3, batchSize: 1024, learningRate: 0.001)

        public init(name: String, objectCount: Int?, hiddenDimensions: [Int], trainingExamples: Int, epochs: Int, batchSize: Int, learningRate: Float) {
            self.name = name
            self.objectCount = objectCount
            self.hiddenDimensions = hiddenDimensions
            self.trainingExamples = trainingExamples
            self.epochs = epochs
            self.batchSize = batchSize
            self.learningRate = learningRate
        }

        /// Hierarchical equality over this recipe's listed objects (embedding seed 0); for continuous
        /// objects, the 100-object task, whose model and encoding describe the same variables and features.
        public func task() throws -> CausalTask {
            try CausalTask.hierarchicalEquality(vocabularySize: objectCount ?? 100)
        }

        /// `count` seeded factual inputs and labels for training a network the recipe's way.
        public func factualData(count: Int, seed: UInt64) throws -> (inputs: Tensor, labels: [Int]) {
            objectCount == nil ? try ContinuousObjects.factualData(count: count, seed: seed)
                : try HierarchicalEquality.factualData(task: task(), count: count, seed: seed)
        }

        /// DAS's counterfactual data for `WX`, `YZ` and both, over the recipe's objects.
        public func data(trainingCount: Int, validationCount: Int, testCount: Int, seed: UInt64) throws -> ExperimentData {
            objectCount == nil ? try ContinuousObjects.data(trainingCount: trainingCount, validationCount: validationCount, testCount: testCount, seed: seed)
                : try HierarchicalEquality.data(task: task(), trainingCount: trainingCount, validationCount: validationCount, testCount: testCount, seed: seed)
        }
    }

    /// A network trained on the task's factual data from `seed` (initialization, data and order),
    /// and its accuracy on 10,000 fresh test inputs.
    public static func trainedNetwork(task: CausalTask, recipe: NetworkRecipe, seed: UInt64) throws -> (network: MultilayerPerceptron, testAccuracy: Double) {
        let configuration = MLPConfiguration(inputDimension: task.encoding.featureCount, hiddenDimensions: recipe.hiddenDimensions,
                                             outputDimension: task.encoding.classCount, activation: .relu)
        let network = try MultilayerPerceptron(configuration, seed: seed)
        return (network, try train(network, task: task, recipe: recipe, seed: seed))
    }

    /// Trains `network` on the recipe's factual data (seeded from `seed`) and returns its accuracy on
    /// 10,000 fresh test inputs.
    public static func train(_ network: MultilayerPerceptron, task: CausalTask, recipe: NetworkRecipe, seed: UInt64) throws -> Double {
        // Continuous objects are drawn by the recipe; listed ones come from `task`.
        func factual(count: Int, seed: UInt64) throws -> (inputs: Tensor, labels: [Int]) {
            recipe.objectCount == nil ? try recipe.factualData(count: count, seed: seed) : try factualData(task: task, count: count, seed: seed)
        }
        let training = try factual(count: recipe.trainingExamples, seed: seed &* 7919 &+ 1)
        try network.train(inputs: training.inputs, labels: training.labels,
                          options: ClassifierTrainingOptions(epochs: recipe.epochs, batchSize: recipe.batchSize,
                                                             learningRate: recipe.learningRate, seed: seed &* 7919 &+ 2))
        let test = try factual(count: 10_000, seed: seed &* 7919 &+ 3)
        return try network.accuracy(inputs: test.inputs, labels: test.labels)
    }
}
