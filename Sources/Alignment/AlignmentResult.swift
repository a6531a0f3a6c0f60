import Interventions
import Networks
import Tensors

/// IIA by test split (e.g. `WX`, `YZ`, `WX+YZ`).
public typealias AccuracyBySplit = [String: Double]

/// The three controls every DAS result is reported beside (DESIGN §2): a high IIA means little
/// unless these are low.
public struct AlignmentControls: Codable, Sendable, Equatable {
    /// The plain neuron interchange on the same number of dimensions (identity basis, untrained).
    public var identityBasis: AccuracyBySplit
    /// An untrained random rotation with the same subspaces.
    public var randomRotation: AccuracyBySplit
    /// DAS trained the same way on a network of the same shape with random weights.
    public var randomNetwork: AccuracyBySplit

    public init(identityBasis: AccuracyBySplit, randomRotation: AccuracyBySplit, randomNetwork: AccuracyBySplit) {
        self.identityBasis = identityBasis
        self.randomRotation = randomRotation
        self.randomNetwork = randomNetwork
    }
}

/// One DAS run at one site with its controls.
public struct AlignmentResult: Codable, Sendable, Equatable {
    public var configuration: DASConfiguration
    /// IIA of the learned intervention on each test split.
    public var iia: AccuracyBySplit
    public var controls: AlignmentControls
    /// The fraction of each test split's labels that the intervention changed.
    public var changedFractions: AccuracyBySplit
    /// The mean training loss of each epoch.
    public var epochLosses: [Float]
    /// `max|RRᵀ − I|` of the learned rotation after training (`nil` for the neuron method).
    public var orthonormalityError: Float?
}

extension DistributedAlignmentSearch {
    /// Trains DAS on `training` (the best of `restarts` runs by training loss), scores it on each of
    /// `tests`, and runs the three controls: the neuron interchange, an untrained random rotation
    /// (seeded from the configuration's seed), and DAS trained the same way, restarts included, on a
    /// random-weight network of the same shape (seeded by `randomNetworkSeed`).
    /// - Throws: the errors of `init(network:configuration:)` and `train(on:)`.
    public static func alignWithControls(
        network: MultilayerPerceptron, configuration: DASConfiguration,
        training: AlignmentDataset, tests: [AlignmentDataset], randomNetworkSeed: UInt64, restarts: Int = 1,
        progress: ((TrainingProgress) -> Void)? = nil
    ) throws -> (result: AlignmentResult, search: DistributedAlignmentSearch) {
        let search = try bestOfRestarts(network: network, configuration: configuration, restarts: restarts, on: training, progress: progress)
        func scores(_ intervention: any Intervention, on network: MultilayerPerceptron) throws -> AccuracyBySplit {
            Dictionary(uniqueKeysWithValues: try tests.map {
                ($0.name, try interchangeInterventionAccuracy(of: intervention, network: network, site: search.site, on: $0))
            })
        }
        let width = try network.width(of: search.site)
        var neuronConfiguration = configuration
        neuronConfiguration.method = .neurons
        let neurons = try DistributedAlignmentSearch(network: network, configuration: neuronConfiguration)
        let rank = configuration.rank ?? width
        let randomRotation = try RotatedSpaceIntervention(
            rotation: Rotation(rank: rank, dimension: width, seed: configuration.seed &+ 0xC0DE),
            mask: SubspacePartition(sizes: configuration.subspaceSizes, rank: rank), trainsRotation: false)
        let randomNetwork = try MultilayerPerceptron(network.configuration, seed: randomNetworkSeed)
        let randomSearch = try bestOfRestarts(network: randomNetwork, configuration: configuration, restarts: restarts, on: training)
        let result = AlignmentResult(
            configuration: search.configuration,
            iia: try scores(search.intervention, on: network),
            controls: AlignmentControls(identityBasis: try scores(neurons.intervention, on: network),
                                        randomRotation: try scores(randomRotation, on: network),
                                        randomNetwork: try scores(randomSearch.intervention, on: randomNetwork)),
            changedFractions: Dictionary(uniqueKeysWithValues: tests.map { ($0.name, $0.changedFraction) }),
            epochLosses: search.epochLosses,
            orthonormalityError: (search.intervention as? RotatedSpaceIntervention)?.rotation.orthonormalityError)
        return (result, search)
    }
}
