import Alignment
import CausalModels
import Foundation
import Interventions
import Networks
import Tensors

/// The rotation example: a network whose hidden layer holds the inputs `(A, B)` of boolean AND
/// rotated by a known angle. No single neuron holds `A` or `B`, so the neuron interchange fails;
/// DAS with a 2 x 2 rotation finds the basis where each input has its own coordinate.
public enum BooleanAndRotation {
    /// What the experiment found.
    public struct Result: Sendable {
        public var seed: UInt64
        public var hiddenAngle: Double
        public var steps: Int
        /// IIA of the neuron interchange (neuron 0 for A, neuron 1 for B).
        public var neuronIIA: AccuracyBySplit
        /// IIA of the learned rotation.
        public var dasIIA: AccuracyBySplit
        /// The learned rotation's angle in degrees, in (−90, 90]: the rotation of the hidden axes
        /// that puts A on coordinate 0 (−hiddenAngle undoes the hidden rotation).
        public var learnedAngle: Double
        public var orthonormalityError: Float
        /// IIA of an untrained rotation by each angle of the sweep.
        public var sweep: [(angle: Double, iia: AccuracyBySplit)]
        /// The widest interval of swept angles around the learned one where every split's IIA is 1.
        public var perfectRange: ClosedRange<Double>?
        public var changedFractions: AccuracyBySplit
        /// How much the test examples repeat training ones: with 4 inputs, nearly all of them.
        public var overlap: SplitOverlap
    }

    /// The hidden layer `h = R(angle) (A, B)` (identity activation), and logits `(0, s (A + B − 1.5))`
    /// read back through `R(angle)ᵀ`, so the network computes `A ∧ B` exactly.
    public static func network(hiddenAngle: Double) throws -> MultilayerPerceptron {
        let rotation = rotationMatrix(degrees: hiddenAngle)
        let scale: Float = 4
        // Row 1 of the readout is s (R [1, 1]ᵀ)ᵀ: since x = Rᵀ h, A + B = [1, 1] Rᵀ h.
        let readout = [rotation[0] + rotation[1], rotation[2] + rotation[3]].map { $0 * scale }
        return try MultilayerPerceptron(
            layers: [Linear(weight: Tensor(shape: [2, 2], scalars: rotation), bias: Tensor.zeros(shape: [2]))],
            output: Linear(weight: Tensor(shape: [2, 2], scalars: [0, 0] + readout), bias: Tensor([0, -1.5 * scale])),
            activation: .identity)
    }

    /// `[[cos θ, −sin θ], [sin θ, cos θ]]`, row-major.
    public static func rotationMatrix(degrees: Double) -> [Float] {
        let radians = degrees * .pi / 180
        return [Float(cos(radians)), Float(-sin(radians)), Float(sin(radians)), Float(cos(radians))]
    }

    /// The angle of a 2 x 2 matrix with orthonormal rows, read from its first row `±(cos φ, −sin φ)`, in (−90, 90].
    public static func angle(of matrix: [Float]) -> Double {
        var degrees = atan2(-Double(matrix[1]), Double(matrix[0])) * 180 / .pi
        while degrees <= -90 { degrees += 180 }
        while degrees > 90 { degrees -= 180 }
        return degrees
    }

    /// The data: 32 training examples for each of `A`, `B` and `A+B` (the full 96-example batch)
    /// and 256 test examples for each.
    public static func data(seed: UInt64) throws -> ExperimentData {
        try ExperimentData(task: .booleanAnd(), variables: ["A", "B"], interventionSets: ExperimentData.singlesAndAll(["A", "B"]),
                           trainingCount: 32, testCount: 256, seed: seed)
    }

    /// The DAS configuration: a full 2 x 2 rotation, A on coordinate 0 and B on coordinate 1,
    /// full-batch Adam for `steps` steps.
    public static func configuration(steps: Int, learningRate: Float, seed: UInt64) -> DASConfiguration {
        DASConfiguration(site: "layer.0", variables: ["A", "B"], subspaceSizes: [1, 1], epochs: steps, batchSize: 96,
                         learningRate: learningRate, seed: seed)
    }

    /// Runs the neuron interchange, DAS, and the sweep of untrained rotations every `sweepStep` degrees.
    public static func run(hiddenAngle: Double = 20, steps: Int = 300, learningRate: Float = 0.05, sweepStep: Double = 1, seed: UInt64 = 0) throws -> Result {
        let network = try network(hiddenAngle: hiddenAngle)
        let data = try data(seed: seed)
        let site = Site(layer: 0)
        func scores(_ intervention: any Intervention) throws -> AccuracyBySplit {
            Dictionary(uniqueKeysWithValues: try data.tests.map {
                ($0.name, try DistributedAlignmentSearch.interchangeInterventionAccuracy(of: intervention, network: network, site: site, on: $0))
            })
        }
        let neurons = try scores(InterchangeIntervention(width: 2, dimensions: [[0], [1]]))
        let search = try DistributedAlignmentSearch(network: network, configuration: configuration(steps: steps, learningRate: learningRate, seed: seed))
        try search.train(on: data.training)
        let learned = (search.intervention as! RotatedSpaceIntervention).rotation
        let learnedAngle = angle(of: learned.matrix.scalars)
        let sweep = try stride(from: -90.0, through: 90.0, by: sweepStep).map { angle in
            let fixed = try RotatedSpaceIntervention(rotation: Rotation(matrix: Tensor(shape: [2, 2], scalars: rotationMatrix(degrees: angle))),
                                                     mask: SubspacePartition(sizes: [1, 1], rank: 2), trainsRotation: false)
            return (angle: angle, iia: try scores(fixed))
        }
        return Result(seed: seed, hiddenAngle: hiddenAngle, steps: steps, neuronIIA: neurons, dasIIA: try scores(search.intervention),
                      learnedAngle: learnedAngle, orthonormalityError: learned.orthonormalityError, sweep: sweep,
                      perfectRange: perfectRange(in: sweep, around: learnedAngle),
                      changedFractions: Dictionary(uniqueKeysWithValues: data.tests.map { ($0.name, $0.changedFraction) }),
                      overlap: data.overlap)
    }

    /// The widest run of consecutive swept angles with IIA 1 on every split that contains (or is
    /// nearest to) `angle`.
    static func perfectRange(in sweep: [(angle: Double, iia: AccuracyBySplit)], around angle: Double) -> ClosedRange<Double>? {
        let perfect = sweep.map { $0.iia.values.allSatisfy { $0 == 1 } }
        guard let nearest = sweep.indices.filter({ perfect[$0] }).min(by: { abs(sweep[$0].angle - angle) < abs(sweep[$1].angle - angle) }) else {
            return nil
        }
        var (low, high) = (nearest, nearest)
        while low > 0, perfect[low - 1] { low -= 1 }
        while high < sweep.count - 1, perfect[high + 1] { high += 1 }
        return sweep[low].angle...sweep[high].angle
    }
}
