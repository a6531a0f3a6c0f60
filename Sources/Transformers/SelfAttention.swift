import Tensors

/// Multi-head causal self-attention with grouped-query heads and, for the Llama family, RoPE.
///
/// Shapes: `x` `[batch, t, width]` → queries `[batch, heads, t, headDim]`, keys and values
/// `[batch, kvHeads, s, headDim]` (`s = t` plus any cached positions) → output `[batch, t, width]`.
/// Each projection is one matrix product over all `batch * t` rows.
public final class SelfAttention: Module {
    /// `[heads * headDim, width]`.
    public let query: Linear
    /// `[kvHeads * headDim, width]`.
    public let key: Linear
    /// `[kvHeads * headDim, width]`.
    public let value: Linear
    /// `[width, heads * headDim]`.
    public let output: Linear
    /// Query heads, key/value heads and the width of one head.
    public let headCount: Int, keyValueHeadCount: Int, headDimension: Int

    /// Attention from its four projections.
    public init(query: Linear, key: Linear, value: Linear, output: Linear, headCount: Int, keyValueHeadCount: Int, headDimension: Int) {
        self.query = query
        self.key = key
        self.value = value
        self.output = output
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount
        self.headDimension = headDimension
    }

    /// Attention over `x` `[batch, t, width]` and, when `cache` holds earlier positions of this layer,
    /// over those too; the new keys and values are appended to the cache.
    ///
    /// With `queriesFrom` = `start` > 0, only positions `start..<t` ask (output `[batch, t − start, width]`):
    /// every position still gives its key and value, but the query, the attention and the output
    /// projection run for the asking positions alone (the top block, when only those reach the logits).
    func callAsFunction(_ x: Tensor, layer: Int, pass: ForwardPass, queriesFrom start: Int = 0) throws -> Tensor {
        let (batch, t) = (x.shape[0], x.shape[1])
        let asking = t - start
        var q = try heads(query(start == 0 ? x : x.slice(alongAxis: 1, start..<t)), count: headCount, batch: batch, t: asking)
        var k = try heads(key(x), count: keyValueHeadCount, batch: batch, t: t)
        var v = try heads(value(x), count: keyValueHeadCount, batch: batch, t: t)
        if let inverseFrequencies = pass.inverseFrequencies {
            let queryPositions = start == 0 ? pass.positions
                : (0..<batch).flatMap { pass.positions[($0 * t + start)..<($0 * t + t)] }
            q = try Tensor.rotaryEmbedding(q, positions: queryPositions, inverseFrequencies: inverseFrequencies)
            k = try Tensor.rotaryEmbedding(k, positions: pass.positions, inverseFrequencies: inverseFrequencies)
        }
        if let cache = pass.cache {
            (k, v) = try cache.append(keys: k, values: v, layer: layer)
        }
        // The queries are the last `asking` of the keys' positions, which is what the mask assumes.
        let attended = try Tensor.causalAttention(query: q, key: k, value: v, firstValidKey: pass.firstValidKey)
        let merged = try attended.permuted([0, 2, 1, 3]).reshaped(to: [batch, asking, headCount * headDimension])
        return try output(merged)
    }

    /// `[batch, t, count * headDim]` → `[batch, count, t, headDim]`.
    private func heads(_ x: Tensor, count: Int, batch: Int, t: Int) throws -> Tensor {
        try x.reshaped(to: [batch, t, count, headDimension]).permuted([0, 2, 1, 3])
    }
}
