import Alignment
import Tensors

/// Hierarchical equality over continuous random objects, as in the DAS paper and pyvene's DAS
/// tutorial: every object of every example is a fresh vector uniform in [−1, 1]⁴, so no object
/// repeats and the network must compute equality rather than remember pairs of objects.
///
/// An input is `(W, X, Y, Z)`, 16 features; each pair is equal with probability 1/2 (the second
/// object a copy of the first) and otherwise two independent vectors, which are never equal.
/// `WX = (W == X)`, `YZ = (Y == Z)`, and the output `O = (WX == YZ)`, class 1 when true.
/// A causal model over a finite list of objects cannot do this (its domain would have to list
/// every vector), so the inputs and the counterfactual labels are drawn here directly.
public enum ContinuousObjects {
    /// The components of one object.
    public static let objectDimension = 4

    /// One drawn input: its 16 features and its two intermediate variables.
    struct Input {
        var features: [Float]
        var wx: Bool
        var yz: Bool
        var output: Int { wx == yz ? 1 : 0 }

        /// Draws two pairs, each equal with probability 1/2.
        init(using generator: inout SeededGenerator) {
            func object() -> [Float] { (0..<ContinuousObjects.objectDimension).map { _ in 2 * generator.nextUniformFloat() - 1 } }
            func pair() -> (features: [Float], equal: Bool) {
                let first = object()
                let equal = generator.nextUniform() < 0.5
                return (first + (equal ? first : object()), equal)
            }
            let left = pair(), right = pair()
            features = left.features + right.features
            wx = left.equal
            yz = right.equal
        }
    }

    /// `count` factual inputs `[count, 16]` and their labels `O`, seeded.
    public static func factualData(count: Int, seed: UInt64) throws -> (inputs: Tensor, labels: [Int]) {
        var generator = SeededGenerator(seed: seed)
        var features = [Float](), labels = [Int]()
        features.reserveCapacity(count * 4 * objectDimension)
        labels.reserveCapacity(count)
        for _ in 0..<count {
            let input = Input(using: &generator)
            features += input.features
            labels.append(input.output)
        }
        return (try Tensor(shape: [count, 4 * objectDimension], scalars: features), labels)
    }

    /// `count` counterfactual examples intervening on `intervened` (a subset of `WX`, `YZ`): a base
    /// input and one fresh source input per intervened variable (the base stands in for the others);
    /// the label is `O` with each intervened variable taken from its source. Labels are balanced:
    /// even examples have label 0 and odd ones 1, drawn again until they do.
    public static func counterfactuals(intervening intervened: [String], count: Int, seed: UInt64) throws -> AlignmentDataset {
        let variables = HierarchicalEquality.variables
        guard !intervened.isEmpty, intervened.allSatisfy(variables.contains) else {
            throw AlignmentError.invalidConfiguration("continuous-object counterfactuals intervene on WX and/or YZ, got \(intervened)")
        }
        var generator = SeededGenerator(seed: seed)
        var base = [Float](), sources = [[Float]](repeating: [], count: variables.count)
        var labels = [Int](), baseLabels = [Int]()
        for index in 0..<count {
            while true {
                let input = Input(using: &generator)
                let drawn = variables.map { intervened.contains($0) ? Input(using: &generator) : input }
                let wx = drawn[0].wx, yz = drawn[1].yz
                let label = wx == yz ? 1 : 0
                guard label == index % 2 else { continue }
                base += input.features
                for (position, source) in drawn.enumerated() { sources[position] += source.features }
                labels.append(label)
                baseLabels.append(input.output)
                break
            }
        }
        let shape = [count, 4 * objectDimension]
        return try AlignmentDataset(name: intervened.joined(separator: "+"), variables: variables, baseInputs: Tensor(shape: shape, scalars: base),
                                    sourceInputs: sources.map { try Tensor(shape: shape, scalars: $0) }, labels: labels, baseLabels: baseLabels)
    }

    /// Training, validation and test counterfactuals for `WX`, `YZ` and both, with the seeds of
    /// `ExperimentData`: training `seed·1000 + i`, validation `seed·1000 + 250 + i`, test `seed·1000 + 500 + i`.
    public static func data(trainingCount: Int, validationCount: Int, testCount: Int, seed: UInt64) throws -> ExperimentData {
        let sets = ExperimentData.singlesAndAll(HierarchicalEquality.variables)
        func split(_ count: Int, _ offset: UInt64) throws -> [AlignmentDataset] {
            try sets.enumerated().map { index, set in try counterfactuals(intervening: set, count: count, seed: seed &* 1000 &+ offset &+ UInt64(index)) }
        }
        return try ExperimentData(trainingSets: split(trainingCount, 0), validationSets: split(validationCount, 250), tests: split(testCount, 500))
    }
}
