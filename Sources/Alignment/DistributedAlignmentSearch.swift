import Foundation
import Interventions
import Networks
import Tensors

/// Where a DAS run stands, reported after every optimizer step.
public struct TrainingProgress: Sendable {
    public let step: Int
    public let totalSteps: Int
    public let epoch: Int
    public let loss: Float
}

/// Distributed alignment search at one site of a frozen network (DESIGN §2): learns the
/// intervention's parameters (the rotation, and a mask for the boundless and sigmoid variants) so
/// that the intervened network's outputs match the causal model's counterfactual labels.
///
/// The network is frozen, so the representations of every base and source at the site are
/// computed once, before training; each step then runs only the intervention and the layers after
/// the site, which gives exactly the step a full forward pass would, without repeating the frozen
/// prefix. After each optimizer step the rotation is retracted onto orthonormal rows.
public final class DistributedAlignmentSearch {
    public let network: MultilayerPerceptron
    public let configuration: DASConfiguration
    public let site: Site
    /// The intervention being learned.
    public let intervention: any Intervention
    /// The mean training loss of each epoch (the last one partial when early stopping ended it).
    public private(set) var epochLosses: [Float] = []
    /// The validation checks of early stopping, in order (empty without it).
    public private(set) var validationChecks: [ValidationCheck] = []
    /// The check whose parameters training ended with (`nil` without early stopping).
    public private(set) var restoredCheck: ValidationCheck?
    /// The optimizer steps the last `train` call took (fewer than planned when it stopped early).
    public private(set) var stepsTaken = 0

    /// Sets up DAS; the network is frozen.
    /// - Throws: `InterventionError` for an invalid or unknown site; `AlignmentError` when the
    ///   variables, sizes and method do not fit each other or the site.
    public init(network: MultilayerPerceptron, configuration: DASConfiguration) throws {
        site = try Site(parsing: configuration.site)
        let width = try network.width(of: site)
        try configuration.validate(at: site, width: width)
        if let stopping = configuration.earlyStopping, stopping.every < 1 || stopping.patience < 1 {
            throw AlignmentError.invalidConfiguration("early stopping needs a check every ≥ 1 steps and a patience ≥ 1, got every \(stopping.every), patience \(stopping.patience)")
        }
        network.setTrainable(false)
        self.network = network
        self.configuration = configuration
        intervention = try Self.makeIntervention(configuration, width: width)
    }

    /// The intervention a configuration asks for at a site of `width` (shared with `TransformerAlignmentSearch`).
    static func makeIntervention(_ configuration: DASConfiguration, width: Int) throws -> any Intervention {
        let sizes = configuration.subspaceSizes
        let rank = configuration.rank ?? width
        switch configuration.method {
        case .rotation:
            return try RotatedSpaceIntervention(width: width, subspaceSizes: sizes, rank: rank, seed: configuration.seed)
        case .neurons:
            var start = 0
            return try InterchangeIntervention(width: width, dimensions: sizes.map { size in
                defer { start += size }
                return Array(start..<(start + size))
            })
        case .boundless, .sigmoidMask:
            guard sizes.count == 1 else {
                throw AlignmentError.invalidConfiguration("\(configuration.method.rawValue) DAS learns the subspace of one variable, got \(configuration.variables.count)")
            }
            let schedule = TemperatureSchedule(start: configuration.temperatureStart, end: configuration.temperatureEnd, steps: 1)
            let mask: any RotatedCoordinateMask = configuration.method == .boundless
                ? try BoundlessMask(rank: rank, initialSize: sizes[0], schedule: schedule)
                : SigmoidMask(rank: rank, schedule: schedule)
            return try RotatedSpaceIntervention(rotation: Rotation(rank: rank, dimension: width, seed: configuration.seed), mask: mask)
        }
    }

    /// The mean training loss of the last epoch (infinity before training).
    public var finalLoss: Float { epochLosses.last ?? .infinity }

    /// Trains `restarts` runs from the seeds `seed`, `seed + 1`, … and keeps the best: the highest
    /// IIA on `validation` when it is given (ties go to the lower training loss), otherwise the lowest
    /// training loss of the last epoch. Test data never takes part in the choice.
    public static func bestOfRestarts(
        network: MultilayerPerceptron, configuration: DASConfiguration, restarts: Int, on data: AlignmentDataset,
        choosingOn validation: AlignmentDataset? = nil, progress: ((TrainingProgress) -> Void)? = nil
    ) throws -> DistributedAlignmentSearch {
        var best: (search: DistributedAlignmentSearch, score: Double, loss: Float)?
        for restart in 0..<max(restarts, 1) {
            var attempt = configuration
            attempt.seed = configuration.seed &+ UInt64(restart)
            let search = try DistributedAlignmentSearch(network: network, configuration: attempt)
            try search.train(on: data, validation: validation, progress: progress)
            // Without validation data every run scores 0 and the loss decides.
            let score = try validation.map { try search.interchangeInterventionAccuracy(on: $0) } ?? 0
            if best == nil || score > best!.score || (score == best!.score && search.finalLoss < best!.loss) {
                best = (search, score, search.finalLoss)
            }
        }
        return best!.search
    }

    /// The number of optimizer steps `train(on:)` takes for `count` examples.
    public func stepCount(forExamples count: Int) -> Int {
        configuration.epochs * ((count + configuration.batchSize - 1) / configuration.batchSize)
    }

    /// Trains on `data` for the configured epochs, in seeded random minibatches, with Adam, a linear
    /// warm-up and (unless turned off) a linear decay. Does nothing for the neuron method, which learns nothing.
    ///
    /// With `configuration.earlyStopping` and `validation` both given (and the rotation method), it
    /// scores validation IIA every `every` steps and at the last step, stops after `patience` checks
    /// without a better one, and ends with the best check's parameters restored (`validationChecks`,
    /// `restoredCheck`). The schedule stays the one planned for the full run, so a run that does not
    /// stop is exactly the run without early stopping.
    /// - Throws: `AlignmentError.diverged` naming the site and step when the loss is not finite;
    ///   `AlignmentError.featureWidthMismatch` for data of another width than the network's input.
    public func train(on data: AlignmentDataset, validation: AlignmentDataset? = nil, progress: ((TrainingProgress) -> Void)? = nil) throws {
        // The parameters that train (a frozen part of the intervention, e.g. a fixed mask, stays out).
        let parameters = intervention.trainableParameters().map(\.tensor)
        let totalSteps = stepCount(forExamples: data.count)
        guard !parameters.isEmpty, totalSteps > 0 else { return }
        let cache = try SiteRepresentations(network: network, site: site, data: data)
        try annealing(over: totalSteps)
        let warmup = Int(configuration.warmupFraction * Float(totalSteps))
        let optimizer = Adam(parameters: parameters, learningRate: configuration.learningRate,
                             schedule: configuration.decaysLearningRate ? .linearWarmupThenDecay(warmupSteps: warmup, totalSteps: totalSteps)
                                 : .linearWarmup(steps: warmup))
        var generator = SeededGenerator(seed: configuration.seed &+ 0x5EED)
        var step = 0
        // Early stopping: the validation representations are computed once, like the training ones.
        var tracker: EarlyStoppingTracker?
        var validationCache: SiteRepresentations?
        if let rule = configuration.earlyStopping, let validation, validation.count > 0, configuration.method == .rotation {
            tracker = EarlyStoppingTracker(rule)
            validationCache = try SiteRepresentations(network: network, site: site, data: validation)
        }
        validationChecks = []
        restoredCheck = nil
        defer { stepsTaken = step }
        training: for epoch in 0..<configuration.epochs {
            let order = generator.permutation(of: 0..<data.count)
            var total: Float = 0, batches = 0
            for start in stride(from: 0, to: order.count, by: configuration.batchSize) {
                let rows = Array(order[start..<min(start + configuration.batchSize, order.count)])
                let loss = try Tensor.crossEntropy(logits: cache.interveneLogits(rows: rows, with: intervention), labels: rows.map { data.labels[$0] })
                guard loss.scalar.isFinite else { throw AlignmentError.diverged(site: site, step: step) }
                try loss.backward()
                try intervention.willStep()
                optimizer.step()
                optimizer.zeroGradients()
                try intervention.didStep()
                total += loss.scalar
                batches += 1
                step += 1
                progress?(TrainingProgress(step: step, totalSteps: totalSteps, epoch: epoch, loss: loss.scalar))
                if let cache = validationCache, tracker!.isDue(step: step, of: totalSteps) {
                    let iia = try Self.accuracy(of: intervention, cache: cache, labels: validation!.labels)
                    if tracker!.record(step: step, iia: iia, parameters: parameters) {
                        epochLosses.append(total / Float(max(batches, 1)))
                        break training
                    }
                }
            }
            epochLosses.append(total / Float(max(batches, 1)))
        }
        if let tracker {
            tracker.restoreBest(into: parameters)
            validationChecks = tracker.checks
            restoredCheck = tracker.best?.check
        }
    }

    /// Interchange intervention accuracy: the fraction of `data`'s examples on which the intervened
    /// network's argmax is the counterfactual label.
    public func interchangeInterventionAccuracy(on data: AlignmentDataset) throws -> Double {
        try Self.interchangeInterventionAccuracy(of: intervention, network: network, site: site, on: data)
    }

    /// The IIA of any intervention at `site` on `data`, computed in chunks with no tape.
    public static func interchangeInterventionAccuracy(
        of intervention: any Intervention, network: MultilayerPerceptron, site: Site, on data: AlignmentDataset
    ) throws -> Double {
        guard data.count > 0 else { return 0 }
        return try accuracy(of: intervention, cache: SiteRepresentations(network: network, site: site, data: data), labels: data.labels)
    }

    /// The IIA of `intervention` on cached site representations whose counterfactual labels are `labels`.
    private static func accuracy(of intervention: any Intervention, cache: SiteRepresentations, labels: [Int]) throws -> Double {
        guard !labels.isEmpty else { return 0 }
        // No tape: nothing is recorded or kept for a backward pass, and the parameters stay as they are.
        return try Tensor.withoutGradients {
            var correct = 0
            let chunk = 16_384
            for start in stride(from: 0, to: labels.count, by: chunk) {
                let rows = Array(start..<min(start + chunk, labels.count))
                let predictions = try cache.interveneLogits(rows: rows, with: intervention).argmaxRows()
                correct += zip(predictions, rows).filter { $0 == labels[$1] }.count
            }
            return Double(correct) / Double(labels.count)
        }
    }

    /// Points the mask's temperature schedule at this run's length (boundless and sigmoid-mask DAS).
    private func annealing(over steps: Int) throws {
        guard let rotated = intervention as? RotatedSpaceIntervention else { return }
        let schedule = TemperatureSchedule(start: configuration.temperatureStart, end: configuration.temperatureEnd, steps: steps)
        (rotated.mask as? BoundlessMask)?.schedule = schedule
        (rotated.mask as? SigmoidMask)?.schedule = schedule
    }
}

/// The representations of a dataset's bases and sources at one site of a frozen network,
/// computed once and read by row.
struct SiteRepresentations {
    let network: MultilayerPerceptron
    let site: Site
    let base: Tensor
    let sources: [Tensor]

    init(network: MultilayerPerceptron, site: Site, data: AlignmentDataset) throws {
        let width = network.configuration.inputDimension
        guard data.baseInputs.shape.last == width else {
            throw AlignmentError.featureWidthMismatch(expected: width, found: data.baseInputs.shape.last ?? 0, dataset: data.name)
        }
        self.network = network
        self.site = site
        base = try network.representation(at: site, for: data.baseInputs)
        sources = try data.sourceInputs.map { try network.representation(at: site, for: $0) }
    }

    /// The logits of the examples at `rows` with `intervention` at the site.
    func interveneLogits(rows: [Int], with intervention: any Intervention) throws -> Tensor {
        let edited = try intervention.apply(base: base.gatherRows(rows), sources: sources.map { try $0.gatherRows(rows) })
        return try network.logits(continuingFrom: site, representation: edited)
    }
}
