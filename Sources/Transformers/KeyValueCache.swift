import Tensors

/// The keys and values of every layer for the positions seen so far, so that each decoding step
/// runs only the new token: per layer `[batch, kvHeads, s, headDim]` (keys after RoPE).
///
/// A cache starts empty; the first forward pass through it (the prefill) fills it and fixes each
/// batch entry's left padding; later passes (decode steps) append one position or more.
public final class KeyValueCache {
    /// Per layer, the cached keys `[batch, kvHeads, length, headDim]` (after RoPE); `nil` before the prefill.
    public private(set) var keys: [Tensor?]
    /// Per layer, the cached values `[batch, kvHeads, length, headDim]`; `nil` before the prefill.
    public private(set) var values: [Tensor?]
    /// Per batch entry, the first key position that is not left padding.
    public internal(set) var firstValidKey: [Int] = []
    /// Per batch entry, the position id the next token will have.
    public internal(set) var nextPositions: [Int] = []
    /// The number of positions held (padding included).
    public internal(set) var length = 0

    /// An empty cache for a model with `layerCount` blocks.
    public init(layerCount: Int) {
        keys = Array(repeating: nil, count: layerCount)
        values = Array(repeating: nil, count: layerCount)
    }

    /// The batch size fixed by the prefill (0 before it).
    public var batch: Int { firstValidKey.count }

    /// Appends a layer's new keys and values `[batch, kvHeads, t, headDim]` and returns all of them
    /// (`[batch, kvHeads, length + t, headDim]`). What the cache keeps is detached (it records no
    /// gradient); what it returns stays differentiable in the new keys and values.
    func append(keys newKeys: Tensor, values newValues: Tensor, layer: Int) throws -> (Tensor, Tensor) {
        let allKeys = try keys[layer].map { try Tensor.concatenate([$0, newKeys], alongAxis: 2) } ?? newKeys
        let allValues = try values[layer].map { try Tensor.concatenate([$0, newValues], alongAxis: 2) } ?? newValues
        keys[layer] = allKeys.detached()
        values[layer] = allValues.detached()
        return (allKeys, allValues)
    }
}
