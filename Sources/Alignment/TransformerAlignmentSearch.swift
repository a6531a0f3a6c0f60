import Foundation
import Interventions
import Networks
import Randomness
import Tensors
import Transformers

/// Distributed alignment search at one (site, token position) of a frozen transformer.
///
/// A step: the source prompts run to the site without a tape and give their rows at the source
/// positions; the base prompts run with the intervention at the site (each base row's position
/// gets `h + Rᵀ M (R s − R h)`); the loss is the cross-entropy of the logits at each base prompt's
/// last position against the counterfactual answer token, over the whole vocabulary (the model was
/// trained and is scored by its argmax over the whole vocabulary, and pyvene's boundless-DAS recipe
/// does the same, so the loss asks for exactly what IIA measures). Only the intervention learns.
///
/// Two ways to run a step, with identical losses and gradients:
/// - `trainingStep(batch:)`: the base and source runs included, as pyvene runs them;
/// - `trainingStep(frozen:)`: on representations at the site computed once (`frozen(_:)`), so a step
///   runs only the intervention and the layers from the site up. `train` uses it at residual-stream
///   sites (`embedding`, `block_input`, `block_output`), where the representation is the pass's whole state.
public final class TransformerAlignmentSearch {
    /// The frozen model.
    public let model: Transformer
    public let configuration: DASConfiguration
    /// The site, e.g. `layer.1.block_output`.
    public let site: Site
    /// The token position of the base (and, by name, of each source).
    public let position: TokenPosition
    /// The intervention being learned.
    public let intervention: any Intervention
    /// The mean training loss of each epoch.
    public private(set) var epochLosses: [Float] = []
    private var optimizer: Adam?
    /// Boundless DAS's boundaries, stepped with their own learning rate (see `prepareTraining`).
    private var boundaryOptimizer: Adam?

    /// Sets up DAS; the model is frozen.
    /// - Throws: `InterventionError.unknownSite` for a site the model lacks; `AlignmentError` when the
    ///   variables, sizes and method do not fit each other or the site's width.
    public init(model: Transformer, configuration: DASConfiguration, position: TokenPosition) throws {
        site = try Site(parsing: configuration.site)
        guard model.sites.contains(site) else { throw InterventionError.unknownSite(site, validSites: model.sites) }
        let width = model.configuration.hiddenSize
        try configuration.validate(at: site, width: width)
        model.setTrainable(false)
        self.model = model
        self.configuration = configuration
        self.position = position
        intervention = try DistributedAlignmentSearch.makeIntervention(configuration, width: width)
    }

    /// Whether `train` can run on representations frozen below the site.
    public var cachesBelowSite: Bool { model.isResidualSite(site) }

    /// Sets up the optimizer (Adam, linear warm-up then decay to 0 unless turned off) and the mask's
    /// temperature schedule for a run of `totalSteps`. `train` calls it; call it before your own steps.
    public func prepareTraining(totalSteps: Int) {
        let steps = max(totalSteps, 1)
        if let rotated = intervention as? RotatedSpaceIntervention {
            let schedule = TemperatureSchedule(start: configuration.temperatureStart, end: configuration.temperatureEnd, steps: steps)
            (rotated.mask as? BoundlessMask)?.schedule = schedule
            (rotated.mask as? SigmoidMask)?.schedule = schedule
        }
        let warmup = Int(configuration.warmupFraction * Float(steps))
        let schedule: LearningRateSchedule = configuration.decaysLearningRate ? .linearWarmupThenDecay(warmupSteps: warmup, totalSteps: steps)
            : .linearWarmup(steps: warmup)
        // The boundaries are in units of rotated coordinates, so a step of the rotation's learning rate
        // would move them by a hundredth of a coordinate. pyvene learns them as a fraction of the width
        // (one unit = all `k` coordinates): the same step in that unit is `k` times larger here.
        let boundaries = ((intervention as? RotatedSpaceIntervention)?.mask as? BoundlessMask)?.boundaries
        let rank = (intervention as? RotatedSpaceIntervention)?.rotation.rank ?? 1
        optimizer = Adam(parameters: intervention.trainableParameters().map(\.tensor).filter { $0 !== boundaries },
                         learningRate: configuration.learningRate, schedule: schedule)
        boundaryOptimizer = boundaries.map { Adam(parameters: [$0], learningRate: configuration.learningRate * Float(rank), schedule: schedule) }
    }

    /// One optimizer step on `batch`, base and source runs included; returns the loss before the step.
    /// - Throws: `AlignmentError.invalidConfiguration` before `prepareTraining`; `.diverged` for a
    ///   non-finite loss; the forward pass's and the plan's errors (positions outside a prompt, …).
    public func trainingStep(batch: TokenInterventionBatch) throws -> Float {
        let sources = try Tensor.withoutGradients { try batch.sources.map { try model.representation(at: site, tokens: $0) } }
        let plan = InterventionPlan(site: site, intervention: intervention, sources: sources, positions: batch.positions,
                                    sourcePositions: batch.sourcePositions)
        return try step(logits: model(batch.base, plan: plan, logits: .last).logits!, labels: batch.labels)
    }

    /// A batch's representations at the site, computed without a tape: the bases' whole `[batch, t, width]`
    /// (the layers above need every position) and only the sources' rows that are read.
    /// - Throws: `AlignmentError.invalidConfiguration` at a site inside a block; forward-pass errors;
    ///   `AlignmentError.invalidConfiguration` when rows list different numbers of positions.
    public func frozen(_ batch: TokenInterventionBatch) throws -> FrozenSiteBatch {
        guard cachesBelowSite else {
            throw AlignmentError.invalidConfiguration("site \(site) is inside a block: representations can be frozen only at embedding, block_input or block_output")
        }
        return try Tensor.withoutGradients {
            let base = try model.representation(at: site, tokens: batch.base)
            let width = model.configuration.hiddenSize
            let read = try zip(batch.sources, batch.sourcePositions).map { tokens, positions -> Tensor in
                let count = positions.first?.count ?? 0
                guard positions.allSatisfy({ $0.count == count }) else {
                    throw AlignmentError.invalidConfiguration("frozen batches need the same number of positions in every row")
                }
                let all = try model.representation(at: site, tokens: tokens).reshaped(to: [tokens.batch * tokens.length, width])
                let rows = try positions.enumerated().flatMap { example, list in try list.map { position -> Int in
                    guard (0..<tokens.length).contains(position) else {
                        throw InterventionError.positionOutOfRange(site: site, example: example, source: nil, position: position,
                                                                   validRange: 0..<tokens.length)
                    }
                    return example * tokens.length + position
                } }
                return try all.gatherRows(rows).reshaped(to: [tokens.batch, count, width])
            }
            return FrozenSiteBatch(tokens: batch.base, base: base, sources: read, positions: batch.positions, labels: batch.labels)
        }
    }

    /// One optimizer step on representations frozen at the site: the intervention and the layers
    /// from the site up; returns the loss before the step.
    /// - Throws: as `trainingStep(batch:)`.
    public func trainingStep(frozen batch: FrozenSiteBatch) throws -> Float {
        try step(logits: logits(frozen: batch), labels: batch.labels)
    }

    /// The last-position logits `[batch, vocabulary]` of a frozen batch with the intervention applied.
    func logits(frozen batch: FrozenSiteBatch) throws -> Tensor {
        let count = batch.sources.first?.shape[1] ?? 0
        let plan = InterventionPlan(site: site, intervention: intervention, sources: batch.sources, positions: batch.positions,
                                    sourcePositions: batch.sources.map { _ in batch.positions.map { _ in Array(0..<count) } })
        return try model.continuing(from: site, representation: batch.base, tokens: batch.tokens, plan: plan, logits: .last)!
    }

    /// Cross-entropy, backward, projected gradient, Adam step, retraction and annealing.
    private func step(logits: Tensor, labels: [Int]) throws -> Float {
        guard let optimizer else {
            throw AlignmentError.invalidConfiguration("call prepareTraining(totalSteps:) before the first training step")
        }
        let loss = try Tensor.crossEntropy(logits: logits, labels: labels)
        guard loss.scalar.isFinite else { throw AlignmentError.diverged(site: site, step: optimizer.stepCount) }
        try loss.backward()
        try intervention.willStep()
        optimizer.step()
        optimizer.zeroGradients()
        boundaryOptimizer?.step()
        boundaryOptimizer?.zeroGradients()
        try intervention.didStep()
        return loss.scalar
    }

    /// The number of optimizer steps `train(on:)` takes for `count` examples.
    public func stepCount(forExamples count: Int) -> Int {
        configuration.epochs * ((count + configuration.batchSize - 1) / configuration.batchSize)
    }

    /// Trains on `data` for the configured epochs in seeded random minibatches; at a residual-stream
    /// site on representations computed once (`frozenBelowSite`), elsewhere with the full runs.
    /// Does nothing for the neuron method. `padToken` pads prompts of different lengths.
    /// - Throws: `AlignmentError.diverged` naming the site and step; position and forward-pass errors.
    public func train(on data: TokenAlignmentDataset, padToken: Int, progress: ((TrainingProgress) -> Void)? = nil) throws {
        let totalSteps = stepCount(forExamples: data.count)
        guard !intervention.trainableParameters().isEmpty, totalSteps > 0 else { return }
        prepareTraining(totalSteps: totalSteps)
        let cache = cachesBelowSite ? try FrozenDataset(search: self, data: data, padToken: padToken) : nil
        var generator = SeededGenerator(seed: configuration.seed &+ 0x5EED)
        var step = 0
        epochLosses = []
        for epoch in 0..<configuration.epochs {
            let order = generator.permutation(of: 0..<data.count)
            var total: Float = 0, batches = 0
            for start in stride(from: 0, to: order.count, by: configuration.batchSize) {
                let rows = Array(order[start..<min(start + configuration.batchSize, order.count)])
                let loss = try cache.map { try trainingStep(frozen: $0.batch(rows)) }
                    ?? trainingStep(batch: data.batch(rows: rows, position: position, padToken: padToken))
                total += loss
                batches += 1
                step += 1
                progress?(TrainingProgress(step: step, totalSteps: totalSteps, epoch: epoch, loss: loss))
            }
            epochLosses.append(total / Float(max(batches, 1)))
        }
    }

    /// IIA: the fraction of `data`'s examples whose intervened argmax (whole vocabulary) at the last
    /// position is the counterfactual answer. Computed in chunks with no tape.
    public func interchangeInterventionAccuracy(on data: TokenAlignmentDataset, padToken: Int) throws -> Double {
        try Self.interchangeInterventionAccuracy(of: intervention, model: model, site: site, position: position, on: data, padToken: padToken)
    }

    /// The IIA of any intervention at (`site`, `position`) of `model` on `data`.
    public static func interchangeInterventionAccuracy(
        of intervention: any Intervention, model: Transformer, site: Site, position: TokenPosition, on data: TokenAlignmentDataset,
        padToken: Int, chunk: Int = 256
    ) throws -> Double {
        guard data.count > 0 else { return 0 }
        var correct = 0
        try forEachIntervenedChunk(of: intervention, model: model, site: site, position: position, on: data, padToken: padToken,
                                   chunk: chunk) { rows, logits in
            correct += zip(logits.argmaxRows(), rows).filter { $0 == data.labels[$1] }.count
        }
        return Double(correct) / Double(data.count)
    }

    /// Runs `data` through `model` with `intervention` at (`site`, `position`), `chunk` examples at a
    /// time and without a tape (the sources up to the site only), and hands `body` each chunk's
    /// example indices with its last-position logits `[rows, vocabulary]`: IIA and activation patching
    /// both score from these.
    static func forEachIntervenedChunk(
        of intervention: any Intervention, model: Transformer, site: Site, position: TokenPosition, on data: TokenAlignmentDataset,
        padToken: Int, chunk: Int, _ body: (_ rows: [Int], _ logits: Tensor) throws -> Void
    ) throws {
        try Tensor.withoutGradients {
            for start in stride(from: 0, to: data.count, by: max(chunk, 1)) {
                let rows = Array(start..<min(start + max(chunk, 1), data.count))
                let batch = try data.batch(rows: rows, position: position, padToken: padToken)
                let sources = try batch.sources.map { try model.representation(at: site, tokens: $0) }
                let plan = InterventionPlan(site: site, intervention: intervention, sources: sources, positions: batch.positions,
                                            sourcePositions: batch.sourcePositions)
                try body(rows, model(batch.base, plan: plan, logits: .last).logits!)
            }
        }
    }

    /// Boundless DAS: the number of rotated coordinates whose mask weight is above 0.5 at the end of the
    /// temperature schedule (the learned subspace size); `nil` for the other methods.
    public var learnedSubspaceSize: Int? {
        guard let mask = (intervention as? RotatedSpaceIntervention)?.mask as? BoundlessMask else { return nil }
        let (low, high) = (mask.boundaries.scalars[0], mask.boundaries.scalars[1])
        // σ((i − lo)/T) σ((hi − i)/T) at the final temperature, as the mask computes it.
        let t = mask.schedule.end
        func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }
        return (0..<mask.rank).filter { i in sigmoid((Float(i) - low) / t) * sigmoid((high - Float(i)) / t) > 0.5 }.count
    }
}

/// A batch's representations at a residual-stream site, computed once (see `TransformerAlignmentSearch.frozen`).
public struct FrozenSiteBatch {
    /// The base prompts (their padding and positions drive the layers above the site).
    public let tokens: TokenBatch
    /// `[batch, t, width]`: the bases at the site, before the intervention.
    public let base: Tensor
    /// Per variable, `[batch, k, width]`: the source rows read, `k` per example in order.
    public let sources: [Tensor]
    /// The base positions written.
    public let positions: [[Int]]
    /// The counterfactual answer tokens.
    public let labels: [Int]
}

/// A whole dataset's representations at the site, padded once, read by rows.
struct FrozenDataset {
    let whole: FrozenSiteBatch
    let tokens: [[Int]]
    let masks: [[Int]]
    let width: Int

    init(search: TransformerAlignmentSearch, data: TokenAlignmentDataset, padToken: Int, chunk: Int = 256) throws {
        // Pad every prompt to the longest of the dataset, so that any rows can be taken together.
        let all = try data.batch(rows: Array(0..<data.count), position: search.position, padToken: padToken)
        var parts: [FrozenSiteBatch] = []
        for start in stride(from: 0, to: data.count, by: chunk) {
            let rows = Array(start..<min(start + chunk, data.count))
            parts.append(try search.frozen(Self.rows(rows, of: all)))
        }
        whole = FrozenSiteBatch(tokens: all.base, base: try Tensor.concatenate(parts.map(\.base), alongAxis: 0),
                                sources: try all.sources.indices.map { v in try Tensor.concatenate(parts.map { $0.sources[v] }, alongAxis: 0) },
                                positions: all.positions, labels: all.labels)
        tokens = (0..<all.base.batch).map { Array(all.base.row($0)) }
        masks = (0..<all.base.batch).map { row in (0..<all.base.length).map { $0 < all.base.leftPadding[row] ? 0 : 1 } }
        width = search.model.configuration.hiddenSize
    }

    /// The frozen batch of `rows`.
    func batch(_ rows: [Int]) throws -> FrozenSiteBatch {
        func take(_ tensor: Tensor) throws -> Tensor {
            let inner = Array(tensor.shape.dropFirst())
            return try tensor.reshaped(to: [tensor.shape[0], inner.reduce(1, *)]).gatherRows(rows).reshaped(to: [rows.count] + inner)
        }
        return FrozenSiteBatch(tokens: try TokenBatch(rows.map { tokens[$0] }, attentionMask: rows.map { masks[$0] }),
                               base: try take(whole.base), sources: try whole.sources.map(take),
                               positions: rows.map { whole.positions[$0] }, labels: rows.map { whole.labels[$0] })
    }

    /// The rows of a padded batch, keeping its padding.
    static func rows(_ rows: [Int], of batch: TokenInterventionBatch) throws -> TokenInterventionBatch {
        func take(_ tokens: TokenBatch) throws -> TokenBatch {
            try TokenBatch(rows.map { Array(tokens.row($0)) },
                           attentionMask: rows.map { row in (0..<tokens.length).map { $0 < tokens.leftPadding[row] ? 0 : 1 } })
        }
        return try TokenInterventionBatch(base: take(batch.base), sources: batch.sources.map(take), positions: rows.map { batch.positions[$0] },
                                          sourcePositions: batch.sourcePositions.map { p in rows.map { p[$0] } }, labels: rows.map { batch.labels[$0] })
    }
}
