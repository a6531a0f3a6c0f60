import Foundation
import Interventions
import Tensors

/// A multilayer perceptron classifier: hidden layers `h_i = act(h_{i−1} W_iᵀ + b_i)` from
/// `h_{−1} = x`, then logits `h_last W_outᵀ + b_out`. Input `[batch, inputDimension]`, logits
/// `[batch, outputDimension]`. Its sites are `layer.<i>`: `h_i`, after layer `i`'s activation.
public final class MultilayerPerceptron: Module {
    /// The architecture.
    public let configuration: MLPConfiguration
    /// The hidden layers, `layers.<i>` in files.
    public let layers: [Linear]
    /// The output layer, `output` in files.
    public let output: Linear

    /// A network initialized as PyTorch initializes `nn.Linear`, from `seed`.
    /// - Throws: `NetworkError.invalidConfiguration` for a non-positive size.
    public init(_ configuration: MLPConfiguration, seed: UInt64) throws {
        try configuration.validate(file: "configuration")
        var generator = SeededGenerator(seed: seed)
        let widths = [configuration.inputDimension] + configuration.hiddenDimensions
        layers = zip(widths, widths.dropFirst()).map { Linear(inputs: $0, outputs: $1, using: &generator) }
        output = Linear(inputs: widths.last!, outputs: configuration.outputDimension, using: &generator)
        self.configuration = configuration
    }

    /// A network with given layers (hand-built networks for experiments).
    /// - Throws: `TensorError.shapeMismatch` when consecutive layers do not fit.
    public init(layers: [Linear], output: Linear, activation: Activation) throws {
        let shapes = (layers + [output]).map(\.weight.shape)
        for (previous, next) in zip(shapes, shapes.dropFirst()) where previous[0] != next[1] {
            throw TensorError.shapeMismatch(op: "MultilayerPerceptron", shapes: [previous, next],
                                            reason: "a layer's outputs must be the next layer's inputs")
        }
        guard let first = shapes.first else {
            throw TensorError.invalidArgument(op: "MultilayerPerceptron", reason: "needs at least one hidden layer")
        }
        configuration = MLPConfiguration(inputDimension: first[1], hiddenDimensions: layers.map { $0.weight.shape[0] },
                                         outputDimension: output.weight.shape[0], activation: activation)
        self.layers = layers
        self.output = output
    }

    /// The sites `layer.0` … `layer.<n−1>`.
    public var sites: [Site] { layers.indices.map { Site(layer: $0) } }

    /// The width of the representation at `site`.
    /// - Throws: `InterventionError.unknownSite` listing the valid sites.
    public func width(of site: Site) throws -> Int {
        try validate(site)
        return configuration.hiddenDimensions[site.layer]
    }

    /// The logits for `input`, with `plan`'s interventions applied at their sites.
    /// - Throws: `NetworkError.inputWidthMismatch`, `InterventionError` for a site the network lacks or
    ///   an intervention that does not fit its site.
    public func callAsFunction(_ input: Tensor, plan: InterventionPlan = InterventionPlan()) throws -> Tensor {
        try validateInput(input)
        for entry in plan.entries { try validate(entry.site) }
        return try run(from: -1, input, plan: plan, stoppingAfter: nil)
    }

    /// The representation at `site` for `input` (no interventions), `[batch, width]`.
    public func representation(at site: Site, for input: Tensor) throws -> Tensor {
        try validateInput(input)
        try validate(site)
        return try run(from: -1, input, plan: InterventionPlan(), stoppingAfter: site.layer)
    }

    /// The logits when the representation at `site` is `representation`: runs only the layers
    /// after the site. DAS uses it with representations it computed once (the network is frozen).
    public func logits(continuingFrom site: Site, representation: Tensor) throws -> Tensor {
        try validate(site)
        guard representation.shape.last == configuration.hiddenDimensions[site.layer] else {
            throw InterventionError.widthMismatch(site: site, siteWidth: configuration.hiddenDimensions[site.layer],
                                                  interventionWidth: representation.shape.last ?? 0)
        }
        return try run(from: site.layer, representation, plan: InterventionPlan(), stoppingAfter: nil)
    }

    /// Interchange intervention in one call: runs every source batch through the network at once
    /// (concatenated along the batch) to collect their representations at `site`, then runs `base`
    /// with `intervention` reading them. `sources` hold one `[batch, inputDimension]` tensor per
    /// variable of the intervention; the result is the logits, `[batch, outputDimension]`.
    public func interchange(base: Tensor, sources: [Tensor], at site: Site, intervention: any Intervention) throws -> Tensor {
        var collected: [Tensor] = []
        if !sources.isEmpty {
            let batch = base.shape.first ?? 0
            let stacked = try representation(at: site, for: Tensor.concatenate(sources, alongAxis: 0))
            collected = try sources.indices.map { try stacked.slice(alongAxis: 0, ($0 * batch)..<(($0 + 1) * batch)) }
        }
        return try self(base, plan: InterventionPlan(site: site, intervention: intervention, sources: collected))
    }

    /// The layers after `start` (−1: from the input), applying `plan` after each hidden layer, and
    /// returning early with layer `stop`'s representation when `stop` is given.
    private func run(from start: Int, _ x: Tensor, plan: InterventionPlan, stoppingAfter stop: Int?) throws -> Tensor {
        var h = x
        for index in layers.indices where index > start {
            h = configuration.activation(try layers[index](h))
            h = try plan.apply(at: Site(layer: index), to: h)
            if index == stop { return h }
        }
        return try output(h)
    }

    private func validate(_ site: Site) throws {
        guard site.component == nil, layers.indices.contains(site.layer) else {
            throw InterventionError.unknownSite(site, validSites: sites)
        }
    }

    private func validateInput(_ input: Tensor) throws {
        guard input.rank == 2, input.shape[1] == configuration.inputDimension else {
            throw NetworkError.inputWidthMismatch(expected: configuration.inputDimension, found: input.shape)
        }
    }
}
