import Interventions
import Networks
import Tensors
import Transformers

/// What a ReFT adapter is: the intervention family member, its rank, where it acts, on which tokens.
public struct ReFTSpec: Sendable, Equatable, CustomStringConvertible {
    /// The family member (LoReFT by default).
    public var kind: ReFTIntervention.Kind
    /// `k`, the rank of each intervention.
    public var rank: Int
    /// The layers that carry interventions.
    public var layers: LayerSpec
    /// The site within each layer (`block_output` by default).
    public var component: Site.Component
    /// The prompt tokens acted on.
    public var positions: PositionSpec
    /// With `f<n>+l<m>`: one intervention per layer for prefix and suffix (true), or one each (false).
    public var shareWeights: Bool
    /// The learned map's nonlinearity (identity by default).
    public var activation: Activation
    /// The dropout probability, active only in training.
    public var dropout: Float

    public init(kind: ReFTIntervention.Kind = .loreft, rank: Int, layers: LayerSpec, component: Site.Component = .blockOutput,
                positions: PositionSpec, shareWeights: Bool = false, activation: Activation = .identity, dropout: Float = 0) {
        (self.kind, self.rank, self.layers, self.component, self.positions) = (kind, rank, layers, component, positions)
        (self.shareWeights, self.activation, self.dropout) = (shareWeights, activation, dropout)
    }

    /// One line for reports, e.g. `LoReFT rank 4, layers 2,4 (block_output), positions f1+l1, separate weights`.
    public var description: String {
        var text = "\(kind.displayName) rank \(rank), layers \(layers) (\(component.rawValue)), positions \(positions)"
        if positions.hasPrefixAndSuffix { text += shareWeights ? ", shared weights" : ", separate weights" }
        if kind.hasLearnedMap, activation != .identity { text += ", \(activation.rawValue)" }
        if dropout > 0 { text += ", dropout \(dropout)" }
        return text
    }

    /// The interventions each layer holds: `prefix` and `suffix` for `f<n>+l<m>` with separate
    /// weights, otherwise one (`all`).
    public var parts: [PromptPart] {
        positions.hasPrefixAndSuffix && !shareWeights ? [.prefix, .suffix] : [.all]
    }
}

/// A trained (or to be trained) set of ReFT interventions for one base model: per layer of
/// `spec.layers`, one intervention per part (`prefix`/`suffix`, or `all`), all acting at
/// `layer.<i>.<component>` on the spec's prompt positions.
///
/// Its parameters are named `layers.<i>.<part>.<parameter>` (e.g. `layers.4.prefix.rotation`,
/// `layers.4.prefix.weight`, `layers.4.prefix.bias`): the names of `adapter.safetensors`.
public final class ReFTAdapter: Module {
    /// The description.
    public let spec: ReFTSpec
    /// The layer indices, ascending.
    public let layerIndices: [Int]
    /// The width `d` of the site.
    public let width: Int
    /// The base model it belongs to.
    public let baseModel: BaseModelFingerprint
    /// The interventions, layer by layer, parts in `spec.parts` order.
    public let interventions: [(layer: Int, part: PromptPart, intervention: ReFTIntervention)]

    /// `layers` → layer index → part → the intervention's parameters.
    public var moduleChildren: [(label: String, value: Any)] {
        var layers: [String: Any] = [:]
        for layer in layerIndices {
            var parts: [String: Any] = [:]
            for entry in interventions where entry.layer == layer { parts[entry.part.rawValue] = entry.intervention }
            layers[String(layer)] = parts
        }
        return [(label: "layers", value: layers)]
    }

    /// A new adapter with seeded random interventions (see `ReFTIntervention.init`) for a model of
    /// `configuration`; intervention `i` (layer by layer, parts in order) is seeded from `seed`.
    /// - Throws: `ReFTError.invalidLayers` for layers outside the model, `.invalidIntervention` for a
    ///   rank outside `1...hiddenSize` or a bad dropout.
    public init(spec: ReFTSpec, model configuration: TransformerConfiguration, seed: UInt64) throws {
        let layers = try spec.layers.resolve(layerCount: configuration.layerCount)
        let width = configuration.hiddenSize
        try ReFTIntervention.validate(kind: spec.kind, width: width, rank: spec.rank, dropout: spec.dropout)
        var generator = SeededGenerator(seed: seed)
        var built: [(layer: Int, part: PromptPart, intervention: ReFTIntervention)] = []
        for layer in layers {
            for part in spec.parts {
                built.append((layer, part, try ReFTIntervention(kind: spec.kind, width: width, rank: spec.rank, activation: spec.activation,
                                                                dropout: spec.dropout, seed: generator.next())))
            }
        }
        self.spec = spec
        layerIndices = layers
        self.width = width
        baseModel = BaseModelFingerprint(configuration)
        interventions = built
    }

    /// The intervention of `layer` and `part`, if the adapter has one.
    public func intervention(layer: Int, part: PromptPart) -> ReFTIntervention? {
        interventions.first { $0.layer == layer && $0.part == part }?.intervention
    }

    /// Every intervention with its site and positions.
    public var placed: [PlacedIntervention] {
        interventions.map { entry in
            PlacedIntervention(site: Site(layer: entry.layer, component: spec.component), intervention: entry.intervention,
                               positions: spec.positions, part: entry.part)
        }
    }

    /// Whether dropout is active in every intervention (false, evaluation, by default).
    public var isTraining: Bool {
        get { interventions.first?.intervention.isTraining ?? false }
        set { for entry in interventions { entry.intervention.isTraining = newValue } }
    }

    /// Prepares every intervention's gradient for the optimizer's step (projects each `R`'s).
    public func willStep() throws { for entry in interventions { try entry.intervention.willStep() } }

    /// Retracts every `R` after the optimizer's step.
    public func didStep() throws { for entry in interventions { try entry.intervention.didStep() } }

    /// The plan for one batch (see `ReFTPlacement.plan`).
    public func plan(tokens: TokenBatch, promptLengths: [Int]) throws -> InterventionPlan {
        try ReFTPlacement.plan(placed, tokens: tokens, promptLengths: promptLengths)
    }

    /// The plan for `Transformer.generate(prompts:options:plan:)`: the prompts as `generate`
    /// left-pads them (positions index the padded prefill; decoding steps carry no plan).
    public func generationPlan(prompts: [[Int]]) throws -> InterventionPlan {
        try Self.generationPlan([self], prompts: prompts)
    }

    /// The generation plan of several adapters acting together (see `plan(_:tokens:promptLengths:)`).
    /// - Throws: `TransformerError.invalidInput` for no prompts or an empty one; the plan's errors.
    public static func generationPlan(_ adapters: [ReFTAdapter], prompts: [[Int]]) throws -> InterventionPlan {
        try plan(adapters, tokens: TokenBatch.leftPadded(prompts), promptLengths: prompts.map(\.count))
    }

    /// One plan for several adapters acting together: at a site several of them use, their
    /// interventions compose in the order of `adapters` (on the tokens each one's positions select).
    /// - Throws: `ReFTError.invalidPlacement` when the adapters belong to different base models;
    ///   the placement's errors.
    public static func plan(_ adapters: [ReFTAdapter], tokens: TokenBatch, promptLengths: [Int]) throws -> InterventionPlan {
        if let first = adapters.first, let other = adapters.first(where: { $0.baseModel.configHash != first.baseModel.configHash }) {
            throw ReFTError.invalidPlacement("adapters for different base models cannot act together: \(first.baseModel.differences(from: other.baseModel))")
        }
        return try ReFTPlacement.plan(adapters.flatMap(\.placed), tokens: tokens, promptLengths: promptLengths)
    }
}
