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
    /// IIA of the learned intervention on each test split, computed once for what was chosen.
    public var iia: AccuracyBySplit
    /// IIA of the learned intervention on each validation split (empty when there was none): what
    /// restarts, cells and learning rates are chosen on.
    public var validationIIA: AccuracyBySplit
    public var controls: AlignmentControls
    /// The fraction of each test split's labels that the intervention changed.
    public var changedFractions: AccuracyBySplit
    /// The mean training loss of each epoch.
    public var epochLosses: [Float]
    /// `max|RRᵀ − I|` of the learned rotation after training (`nil` for the neuron method).
    public var orthonormalityError: Float?
    /// Boundless DAS: the rotated coordinates whose mask weight ends above 0.5 (`nil` for other methods).
    public var learnedSubspaceSize: Int? = nil
}

extension DistributedAlignmentSearch {
    /// Trains DAS on `training` (the best of `restarts` runs, chosen by IIA on all of `validation`
    /// together, or by training loss when there is none), scores it on each validation split and,
    /// once, on each of `tests`, and runs the three controls: the neuron interchange, an untrained
    /// random rotation (seeded from the configuration's seed), and DAS trained and chosen the same
    /// way, restarts included, on a random-weight network of the same shape (seeded by `randomNetworkSeed`).
    /// - Throws: the errors of `init(network:configuration:)` and `train(on:)`.
    public static func alignWithControls(
        network: MultilayerPerceptron, configuration: DASConfiguration,
        training: AlignmentDataset, validation: [AlignmentDataset] = [], tests: [AlignmentDataset], randomNetworkSeed: UInt64,
        restarts: Int = 1, progress: ((TrainingProgress) -> Void)? = nil
    ) throws -> (result: AlignmentResult, search: DistributedAlignmentSearch) {
        let chooser = validation.isEmpty ? nil : try AlignmentDataset.concatenating(validation)
        let search = try bestOfRestarts(network: network, configuration: configuration, restarts: restarts, on: training,
                                        choosingOn: chooser, progress: progress)
        func scores(_ intervention: any Intervention, on network: MultilayerPerceptron, _ tests: [AlignmentDataset] = tests) throws -> AccuracyBySplit {
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
        let randomSearch = try bestOfRestarts(network: randomNetwork, configuration: configuration, restarts: restarts, on: training,
                                              choosingOn: chooser)
        let result = AlignmentResult(
            configuration: search.configuration,
            iia: try scores(search.intervention, on: network),
            validationIIA: try scores(search.intervention, on: network, validation),
            controls: AlignmentControls(identityBasis: try scores(neurons.intervention, on: network),
                                        randomRotation: try scores(randomRotation, on: network),
                                        randomNetwork: try scores(randomSearch.intervention, on: randomNetwork)),
            changedFractions: Dictionary(uniqueKeysWithValues: tests.map { ($0.name, $0.changedFraction) }),
            epochLosses: search.epochLosses,
            orthonormalityError: (search.intervention as? RotatedSpaceIntervention)?.rotation.orthonormalityError)
        return (result, search)
    }
}
