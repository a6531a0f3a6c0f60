import Interventions
import Tensors
import Transformers

extension TransformerAlignmentSearch {
    /// DAS at (site, position) of a transformer with the three controls, as
    /// `DistributedAlignmentSearch.alignWithControls` does for MLPs: trains on `training` (the best of
    /// `restarts` by validation IIA), scores each validation split and, once, each test split, beside
    /// the neuron interchange and an untrained random rotation on the same number of dimensions (for
    /// boundless DAS the learned size), and DAS trained the same way on a transformer of the same
    /// configuration with random weights (seeded by `randomModelSeed`).
    /// - Throws: the errors of `init` and `train`.
    public static func alignWithControls(
        model: Transformer, configuration: DASConfiguration, position: TokenPosition, training: TokenAlignmentDataset,
        validation: [TokenAlignmentDataset] = [], tests: [TokenAlignmentDataset], padToken: Int, randomModelSeed: UInt64,
        restarts: Int = 1, progress: ((TrainingProgress) -> Void)? = nil
    ) throws -> (result: AlignmentResult, search: TransformerAlignmentSearch) {
        let chooser = validation.isEmpty ? nil : try TokenAlignmentDataset.concatenating(validation)
        func best(on model: Transformer) throws -> TransformerAlignmentSearch {
            var best: (search: TransformerAlignmentSearch, score: Double, loss: Float)?
            for restart in 0..<max(restarts, 1) {
                var attempt = configuration
                attempt.seed = configuration.seed &+ UInt64(restart)
                let search = try TransformerAlignmentSearch(model: model, configuration: attempt, position: position)
                try search.train(on: training, padToken: padToken, progress: progress)
                let score = try chooser.map { try search.interchangeInterventionAccuracy(on: $0, padToken: padToken) } ?? 0
                let loss = search.epochLosses.last ?? .infinity
                if best == nil || score > best!.score || (score == best!.score && loss < best!.loss) { best = (search, score, loss) }
            }
            return best!.search
        }
        let search = try best(on: model)
        func scores(_ intervention: any Intervention, on model: Transformer, _ sets: [TokenAlignmentDataset] = tests) throws -> AccuracyBySplit {
            Dictionary(uniqueKeysWithValues: try sets.map {
                ($0.name, try interchangeInterventionAccuracy(of: intervention, model: model, site: search.site, position: position,
                                                              on: $0, padToken: padToken))
            })
        }
        let width = model.configuration.hiddenSize
        // The controls get as many dimensions as DAS used: the fixed sizes, or boundless DAS's learned size.
        let sizes = search.learnedSubspaceSize.map { [min(max($0, 1), width)] } ?? configuration.subspaceSizes
        var start = 0
        let neurons = try InterchangeIntervention(width: width, dimensions: sizes.map { size in
            defer { start += size }
            return Array(start..<(start + size))
        })
        let rank = configuration.rank ?? width
        let randomRotation = try RotatedSpaceIntervention(
            rotation: Rotation(rank: rank, dimension: width, seed: configuration.seed &+ 0xC0DE),
            mask: SubspacePartition(sizes: sizes.map { min($0, rank) }, rank: rank), trainsRotation: false)
        let randomModel = try Transformer(configuration: model.configuration, seed: randomModelSeed)
        let randomSearch = try best(on: randomModel)
        var result = AlignmentResult(
            configuration: search.configuration,
            iia: try scores(search.intervention, on: model),
            validationIIA: try scores(search.intervention, on: model, validation),
            controls: AlignmentControls(identityBasis: try scores(neurons, on: model), randomRotation: try scores(randomRotation, on: model),
                                        randomNetwork: try scores(randomSearch.intervention, on: randomModel)),
            changedFractions: Dictionary(uniqueKeysWithValues: tests.map { ($0.name, $0.changedFraction) }),
            epochLosses: search.epochLosses,
            orthonormalityError: (search.intervention as? RotatedSpaceIntervention)?.rotation.orthonormalityError)
        result.learnedSubspaceSize = search.learnedSubspaceSize
        return (result, search)
    }
}
