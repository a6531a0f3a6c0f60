import Tensors

/// The keys and values of every layer for the positions seen so far, so that each decoding step
/// runs only the new token: per layer `[batch, kvHeads, s, headDim]` (keys after RoPE).
///
/// A cache starts empty; the first forward pass through it (the prefill) fills it and fixes each
/// batch entry's left padding; later passes (decode steps) append one position or more.
public final class KeyValueCache {
    /// Per layer, the cached keys and values; `nil` before the prefill.
    public private(set) var keys: [Tensor?]
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
    /// (`[batch, kvHeads, length + t, headDim]`). Cached tensors are detached: the cache records
    /// no gradient.
    func append(keys newKeys: Tensor, values newValues: Tensor, layer: Int) throws -> (Tensor, Tensor) {
        let allKeys = try keys[layer].map { try Tensor.concatenate([$0, newKeys.detached()], alongAxis: 2) } ?? newKeys.detached()
        let allValues = try values[layer].map { try Tensor.concatenate([$0, newValues.detached()], alongAxis: 2) } ?? newValues.detached()
        keys[layer] = allKeys
        values[layer] = allValues
        return (allKeys, allValues)
    }
}
