import Interventions
import Tensors

/// One pre-norm transformer block, the same type for both families (the family only picks the
/// normalization and the MLP):
///
///     h = x + attention(attentionNorm(x))
///     y = h + mlp(mlpNorm(h))
///
/// with the sites `layer.<i>.block_input` (x), `.attention_output` (the attention's output, before
/// the residual add), `.mlp_output` (likewise) and `.block_output` (y), each `[batch, t, width]`.
public final class TransformerBlock: Module {
    /// Before attention.
    public let attentionNorm: Normalization
    /// The self-attention sublayer.
    public let attention: SelfAttention
    /// Before the MLP.
    public let mlpNorm: Normalization
    /// The MLP sublayer.
    public let mlp: FeedForward
    /// The block's index, which names its sites.
    public let index: Int

    /// A block from its parts.
    public init(index: Int, attentionNorm: Normalization, attention: SelfAttention, mlpNorm: Normalization, mlp: FeedForward) {
        self.index = index
        self.attentionNorm = attentionNorm
        self.attention = attention
        self.mlpNorm = mlpNorm
        self.mlp = mlp
    }

    /// `x` `[batch, t, width]` → `[batch, t − outputsFrom, width]`, with the pass's plan applied at each site.
    ///
    /// `outputsFrom` > 0 computes the block's output only at positions `outputsFrom..<t` (the keys and
    /// values still come from every position): for the top block, when nothing after it needs the
    /// earlier positions. Only `block_input` may then carry an intervention or be collected (the
    /// caller checks), since the other sites no longer hold every position.
    func callAsFunction(_ x: Tensor, pass: ForwardPass, outputsFrom start: Int = 0) throws -> Tensor {
        let input = try pass.visit(Site(layer: index, component: .blockInput), x)
        let attended = try pass.visit(Site(layer: index, component: .attentionOutput),
                                      attention(attentionNorm(input), layer: index, pass: pass, queriesFrom: start))
        let afterAttention = try (start == 0 ? input : input.slice(alongAxis: 1, start..<input.shape[1])) + attended
        let transformed = try pass.visit(Site(layer: index, component: .mlpOutput), mlp(mlpNorm(afterAttention)))
        return try pass.visit(Site(layer: index, component: .blockOutput), afterAttention + transformed)
    }

    /// The sites that hold only the computed positions when `outputsFrom` > 0.
    var sitesAfterInput: [Site] {
        [.attentionOutput, .mlpOutput, .blockOutput].map { Site(layer: index, component: $0) }
    }
}
