import Interventions
import Tensors

/// A forward pass cut at a residual-stream site, for work that runs the frozen part of a model once
/// and the rest many times (alignment search caches the representations below its site).
///
/// The residual-stream sites are `embedding`, `layer.<i>.block_input` and `layer.<i>.block_output`:
/// the whole state of the pass is the `[batch, t, width]` representation there, so
///
///     model(tokens, plan) == model.continuing(from: site, representation: model.representation(at: site, tokens), tokens, plan)
///
/// for a plan whose entries sit at `site` or after it. (`attention_output` and `mlp_output` are not
/// the whole state: the residual beside them is needed too, so they cannot be cut at.)
extension Transformer {
    /// Whether a pass can be cut at `site` (see `continuing(from:representation:tokens:plan:logits:)`).
    public func isResidualSite(_ site: Site) -> Bool {
        site.isEmbedding || (site.component == .blockInput || site.component == .blockOutput)
            && (0..<configuration.layerCount).contains(site.layer)
    }

    /// The representation `[batch, t, width]` at `site` for `tokens`, before any intervention there,
    /// running only the layers below it (the whole model for a site inside a block).
    /// - Throws: `InterventionError.unknownSite` for a site the model lacks; the forward pass's errors.
    public func representation(at site: Site, tokens: TokenBatch) throws -> Tensor {
        guard isResidualSite(site) else {
            guard sites.contains(site) else { throw InterventionError.unknownSite(site, validSites: sites) }
            // Inside a block the collected tensor is the site's value (no plan, so nothing changed it).
            return try self(tokens, collecting: [site], logits: .none).collected[site]!
        }
        var x = try embedded(tokens, positions: tokens.positionIds)
        if site.isEmbedding { return x }
        let pass = try plainPass(tokens, plan: nil)
        let stop = site.component == .blockInput ? site.layer : site.layer + 1
        for layer in layers[0..<stop] { x = try layer(x, pass: pass) }
        return x
    }

    /// The rest of a forward pass from `representation` (`[batch, t, width]`, the value at the
    /// residual-stream `site` before any intervention there): the plan's entries at `site` and after
    /// it are applied, and the head's logits are computed at `logits`.
    /// - Throws: `InterventionError.invalidPositions` for a site that is not on the residual stream or a
    ///   representation of another shape; `InterventionError.unknownSite` for a plan entry the model
    ///   lacks; the plan's and the forward pass's errors.
    public func continuing(from site: Site, representation: Tensor, tokens: TokenBatch, plan: InterventionPlan? = nil,
                           logits: LogitPositions = .last) throws -> Tensor? {
        guard isResidualSite(site) else {
            throw InterventionError.invalidPositions(
                site: site, reason: "a forward pass can only be continued from embedding, block_input or block_output")
        }
        let expected = [tokens.batch, tokens.length, configuration.hiddenSize]
        guard representation.shape == expected else {
            throw InterventionError.invalidPositions(site: site, reason: "the representation has shape \(representation.shape), expected \(expected)")
        }
        try checkSites(plan?.entries.map(\.site) ?? [])
        try validate(logits, batch: tokens.batch, t: tokens.length)
        let pass = try plainPass(tokens, plan: plan)
        var x = representation
        let start: Int
        switch site.component {
        case .blockInput?: start = site.layer   // block `layer` visits its own input site
        case .blockOutput?: x = try pass.visit(site, x); start = site.layer + 1
        default: x = try pass.visit(.embedding, x); start = 0
        }
        // The top block computes only from the first position whose logits are asked (when it runs here).
        let topFrom = start < layers.count ? topBlockStart(logits, t: tokens.length, plan: plan, collecting: []) : 0
        x = try runBlocks(x, from: start, pass: pass, topBlockFrom: topFrom)
        return try headLogits(try finalNorm(x), at: logits.dropping(topFrom))
    }

    /// A cache-free pass over `tokens` with `plan`.
    private func plainPass(_ tokens: TokenBatch, plan: InterventionPlan?) throws -> ForwardPass {
        let padding = tokens.leftPadding
        return ForwardPass(plan: plan, collecting: [], positions: tokens.positionIds,
                           firstValidKey: padding.contains { $0 > 0 } ? padding : nil,
                           inverseFrequencies: inverseFrequencies, cache: nil)
    }
}
