import Interventions
import Tensors

/// What one forward call carries through the blocks: the intervention plan, the sites to collect,
/// each token's position, the padding, and the key/value cache.
final class ForwardPass {
    let plan: InterventionPlan?
    let collecting: Set<Site>
    private(set) var collected: [Site: Tensor] = [:]
    /// One position id per (batch entry, new token), row-major: RoPE's angles, GPT-2's position rows.
    let positions: [Int]
    /// Per batch entry, the first key position that is not left padding; `nil` without padding.
    let firstValidKey: [Int]?
    /// RoPE's inverse frequencies (Llama family), `nil` for GPT-2.
    let inverseFrequencies: [Float]?
    let cache: KeyValueCache?

    init(plan: InterventionPlan?, collecting: Set<Site>, positions: [Int], firstValidKey: [Int]?,
         inverseFrequencies: [Float]?, cache: KeyValueCache?) {
        self.plan = plan
        self.collecting = collecting
        self.positions = positions
        self.firstValidKey = firstValidKey
        self.inverseFrequencies = inverseFrequencies
        self.cache = cache
    }

    /// The representation at `site` after the plan's intervention there; kept when collected.
    func visit(_ site: Site, _ representation: Tensor) throws -> Tensor {
        let result = try plan.map { try $0.apply(at: site, to: representation) } ?? representation
        if collecting.contains(site) { collected[site] = result }
        return result
    }
}
