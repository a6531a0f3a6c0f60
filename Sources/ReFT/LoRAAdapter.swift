import Foundation
import Interventions
import Networks
import Tensors
import Transformers

/// The linear layers LoRA can adapt, by their flag names.
public enum LoRATarget: String, Sendable, CaseIterable, Codable {
    /// Attention's query, key, value and output projections.
    case query = "q", key = "k", value = "v", output = "o"
    /// The MLP's gate (Llama family only), up and down projections.
    case gate, up, down

    /// Parses `q,v` or `all`.
    /// - Throws: `ReFTError.invalidIntervention` naming the unknown entry.
    public static func parse(_ text: String) throws -> [LoRATarget] {
        if text == "all" { return allCases }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var targets: [LoRATarget] = []
        for part in parts {
            guard let target = LoRATarget(rawValue: part) else {
                throw ReFTError.invalidIntervention("LoRA target '\(part)' is not one of \(allCases.map(\.rawValue).joined(separator: ", ")) (or all)")
            }
            if !targets.contains(target) { targets.append(target) }
        }
        return targets
    }

    /// The layer of `block` it names, `nil` for `gate` in a GPT-2 block.
    func linear(in block: TransformerBlock) -> Linear? {
        switch self {
        case .query: block.attention.query
        case .key: block.attention.key
        case .value: block.attention.value
        case .output: block.attention.output
        case .gate: block.mlp.gate
        case .up: block.mlp.up
        case .down: block.mlp.down
        }
    }
}

/// What a LoRA adapter is: rank, `α`, layers and target projections.
public struct LoRASpec: Sendable, Equatable {
    /// `r`, the rank of every update.
    public var rank: Int
    /// `α`: updates are scaled by `α / r`.
    public var alpha: Float
    /// The layers whose projections are adapted.
    public var layers: LayerSpec
    /// The projections adapted in each of those layers.
    public var targets: [LoRATarget]

    /// A description; checked when an adapter is built from it.
    public init(rank: Int, alpha: Float, layers: LayerSpec, targets: [LoRATarget]) {
        (self.rank, self.alpha, self.layers, self.targets) = (rank, alpha, layers, targets)
    }
}

/// LoRA on a transformer's linear layers (issue 9, point 8): a `LoRALinear` per (layer, target),
/// parameters named `layers.<i>.<target>.lora_a` / `lora_b`. It acts by merging `W + s B A` into
/// the model's own weights (see `LoRALinear`), so it needs no hook in the transformer; the trainer
/// calls `prepareForward` and `finishBackward` around each step. One LoRA adapter per model
/// instance at a time (merging is relative to the weights it was bound to).
public final class LoRAAdapter: Module, TrainableAdapter {
    /// The description.
    public let spec: LoRASpec
    /// The adapted layers, ascending.
    public let layerIndices: [Int]
    /// The base model it belongs to.
    public let baseModel: BaseModelFingerprint
    /// The adapted layers in order: layer by layer, targets in spec order.
    public let modules: [(layer: Int, target: LoRATarget, lora: LoRALinear)]
    /// Whether the next `prepareForward` records the merged weights' gradients (training).
    public var isTraining = false

    /// `layers` → layer index → target (`q`, `v`, …) → `lora_a`, `lora_b`.
    public var moduleChildren: [(label: String, value: Any)] {
        var layers: [String: Any] = [:]
        for layer in layerIndices {
            var targets: [String: Any] = [:]
            for entry in modules where entry.layer == layer { targets[entry.target.rawValue] = entry.lora }
            layers[String(layer)] = targets
        }
        return [(label: "layers", value: layers)]
    }

    /// Binds a new adapter (B = 0) to `model`'s layers.
    /// - Throws: `ReFTError.invalidLayers`, `.invalidIntervention` (rank, alpha, no targets, `gate` on GPT-2).
    public init(spec: LoRASpec, model: Transformer, seed: UInt64) throws {
        let layers = try spec.layers.resolve(layerCount: model.configuration.layerCount)
        guard !spec.targets.isEmpty else { throw ReFTError.invalidIntervention("LoRA needs at least one target projection") }
        var generator = SeededGenerator(seed: seed)
        var built: [(layer: Int, target: LoRATarget, lora: LoRALinear)] = []
        for layer in layers {
            for target in spec.targets {
                guard let linear = target.linear(in: model.layers[layer]) else {
                    throw ReFTError.invalidIntervention("LoRA target '\(target.rawValue)' does not exist in a \(model.configuration.family) model")
                }
                built.append((layer, target, try LoRALinear(base: linear, rank: spec.rank, alpha: spec.alpha, seed: generator.next())))
            }
        }
        self.spec = spec
        layerIndices = layers
        baseModel = BaseModelFingerprint(model.configuration)
        modules = built
    }

    /// An empty plan: LoRA acts through the merged weights, not at sites.
    public func plan(tokens: TokenBatch, promptLengths: [Int]) throws -> InterventionPlan { InterventionPlan() }
    /// Nothing to prepare (no rotation) before and after the optimizer's step, no dropout to reseed.
    public func willStep() throws {}
    public func didStep() throws {}
    public func reseedDropout(_ seed: UInt64) {}

    /// Merges every update into the model (recording the weights' gradients when training).
    public func prepareForward() throws { for entry in modules { try entry.lora.merge(recordWeightGradient: isTraining) } }

    /// Turns the merged weights' gradients into `A`'s and `B`'s.
    public func finishBackward() throws {
        let parts = try modules.compactMap { try $0.lora.surrogate() }
        guard var total = parts.first else { return }
        for part in parts.dropFirst() { total = try total + part }
        try total.backward()
        for entry in modules { entry.lora.base.weight.zeroGradient() }
    }

    /// Puts every base weight back.
    public func unmerge() { for entry in modules { entry.lora.unmerge() } }
}
