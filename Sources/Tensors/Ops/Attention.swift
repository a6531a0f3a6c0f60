/// Causal scaled dot-product attention, forward and backward side by side.
extension Tensor {
    /// `softmax(q kᵀ / √d + causal mask) v` for every batch entry and head.
    ///
    /// Shapes: `query` `[batch, heads, t, d]`, `key` `[batch, kvHeads, s, d]`, `value`
    /// `[batch, kvHeads, s, dv]`, result `[batch, heads, t, dv]`. `heads` must be a multiple of
    /// `kvHeads` (grouped-query attention: query head `h` reads key/value head `h / (heads / kvHeads)`).
    /// The `t` queries are the last `t` of the `s` positions, so query `i` sees keys `0...i + s − t`
    /// (with `t == s` this is the usual causal mask; with `t < s` it continues a cached prefix).
    /// - Throws: `TensorError.shapeMismatch` naming `causalAttention` and the shapes when they do not fit.
    public static func causalAttention(query: Tensor, key: Tensor, value: Tensor) throws -> Tensor {
        try causalAttention(query: query, key: key, value: value, firstValidKey: nil)
    }

    /// Causal attention over left-padded batches: as `causalAttention(query:key:value:)`, and in
    /// batch entry `b` the keys before `firstValidKey[b]` (its padding) are masked out for every
    /// query. A query that sees no key at all (a padding query, whose causal window ends before
    /// `firstValidKey[b]`) outputs zeros and passes back no gradient. `nil` means no padding.
    ///
    /// Query `i` of entry `b` thus attends to keys `firstValidKey[b] ... i + s − t`; its softmax runs
    /// over those scores only, so the real positions of a padded row equal the same sequence run alone.
    /// - Throws: `TensorError.shapeMismatch` naming `causalAttention` and the shapes when they do not
    ///   fit; `TensorError.invalidArgument` when `firstValidKey` does not hold one index per batch
    ///   entry, each in `0...s` (`s`: the whole row is padding).
    public static func causalAttention(query: Tensor, key: Tensor, value: Tensor, firstValidKey: [Int]?) throws -> Tensor {
        let geometry = try AttentionGeometry(query: query.shape, key: key.shape, value: value.shape, firstValidKey: firstValidKey)
        let (probabilities, output) = geometry.forward(query.scalars, key.scalars, value.scalars)
        return result(shape: geometry.outputShape, scalars: output, inputs: [query, key, value]) { g in
            let gradients = geometry.backward(
                g.scalars, probabilities, query.scalars, key.scalars, value.scalars,
                needs: (query.requiresGradient, key.requiresGradient, value.requiresGradient))
            return [gradients.query.map { Tensor(validShape: query.shape, scalars: $0) },
                    gradients.key.map { Tensor(validShape: key.shape, scalars: $0) },
                    gradients.value.map { Tensor(validShape: value.shape, scalars: $0) }]
        }
    }
}

/// The sizes of one attention call and its per-head loops.
struct AttentionGeometry {
    let batch: Int, heads: Int, kvHeads: Int
    let t: Int, s: Int, d: Int, dv: Int
    let scale: Float
    /// The first non-padding key of each batch entry (all zeros without padding).
    let firstValidKey: [Int]

    var outputShape: [Int] { [batch, heads, t, dv] }

    init(query: [Int], key: [Int], value: [Int], firstValidKey: [Int]? = nil) throws {
        func mismatch(_ reason: String) -> TensorError {
            .shapeMismatch(op: "causalAttention", shapes: [query, key, value], reason: reason)
        }
        guard query.count == 4, key.count == 4, value.count == 4 else {
            throw mismatch("query, key and value must all be [batch, heads, positions, dim]")
        }
        (batch, heads, t, d) = (query[0], query[1], query[2], query[3])
        (kvHeads, s, dv) = (key[1], key[2], value[3])
        guard key[0] == batch, value[0] == batch else { throw mismatch("batch sizes differ") }
        guard key[3] == d else { throw mismatch("query and key head dimensions \(d) and \(key[3]) differ") }
        guard value[1] == kvHeads, value[2] == s else { throw mismatch("key and value must have the same heads and positions") }
        guard kvHeads > 0, heads % kvHeads == 0 else { throw mismatch("\(heads) query heads are not a multiple of \(kvHeads) key/value heads") }
        guard t <= s else { throw mismatch("\(t) queries cannot follow \(s) keys") }
        scale = 1 / Float(d).squareRoot()
        if let firstValidKey {
            guard firstValidKey.count == batch else {
                throw TensorError.invalidArgument(
                    op: "causalAttention", reason: "firstValidKey holds \(firstValidKey.count) indices; the batch has \(batch) entries")
            }
            let keys = 0...s
            if let b = firstValidKey.firstIndex(where: { !keys.contains($0) }) {
                throw TensorError.invalidArgument(
                    op: "causalAttention",
                    reason: "firstValidKey[\(b)] = \(firstValidKey[b]) is outside 0...\(s) (the \(s) key positions; \(s) means all padding)")
            }
        }
        self.firstValidKey = firstValidKey ?? [Int](repeating: 0, count: batch)
    }

    /// Calls `body(queryHead, keyValueHead, batchEntry)` with the flat head indices of every (batch, head),
    /// the query heads that share a key/value head one after another, in order.
    ///
    /// Large calls run their key/value heads in groups side by side (`DataParallel`), each group on
    /// one thread with one-thread products. Why: a head's products are small (`t x s x d`), too
    /// small for two threads to share one well, and the softmax rows between them would run on
    /// one core. Measured on a 2-vCPU EPYC: one GPT-2 layer's 96 heads (128 x 128 x 64 products,
    /// scores and output) took 3.7 ms one after another with two-thread products, and 2.5–3.0 ms as
    /// two one-thread halves side by side once OpenBLAS's idle worker sleeps instead of spinning
    /// (`LinearAlgebraBackend.preferredThreadTimeout`). A group writes only its own query heads'
    /// rows and its own key/value heads' gradients, and every product and row is the one the whole
    /// loop computes, so the result is the same to the bit.
    private func forEachHead(_ body: (Int, Int, Int) -> Void) {
        let groups = batch * kvHeads, perGroup = heads / kvHeads
        let work = batch * heads * t * s * max(d, dv)
        let parts = work >= Self.minimumWorkToSplit ? DataParallel.partCount(items: groups) : 1
        DataParallel.forEachPart(parts) { part in
            for group in (part * groups / parts)..<((part + 1) * groups / parts) {
                let (b, kvHead) = group.quotientAndRemainder(dividingBy: kvHeads)
                for h in (kvHead * perGroup)..<((kvHead + 1) * perGroup) { body(b * heads + h, group, b) }
            }
        }
    }

    /// Multiply-adds of one call's score product (`batch x heads x t x s x max(d, dv)`) below which
    /// its heads run one after another: a decoding step (one query) or a short prompt is less work
    /// than handing half of it to a second thread. (A judgement, not a measured threshold; decoding
    /// speed in `bench transformer` did not change.)
    static let minimumWorkToSplit = 1 << 21

    /// The keys query `i` of batch entry `b` attends to: from the first non-padding key to the
    /// last one the causal mask lets it see (empty for a padding query).
    func visibleKeys(query i: Int, batchEntry b: Int) -> Range<Int> {
        let end = i + s - t + 1
        return min(firstValidKey[b], end)..<end
    }

    /// The attention probabilities `[batch, heads, t, s]` and the output. Per head: the scores (one
    /// product), each row's masked softmax, the output (one product).
    func forward(_ q: [Float], _ k: [Float], _ v: [Float]) -> (probabilities: [Float], output: [Float]) {
        var probabilities = [Float](repeating: 0, count: batch * heads * t * s)
        var output = [Float](repeating: 0, count: batch * heads * t * dv)
        guard t > 0, s > 0, d > 0 else { return (probabilities, output) }
        q.withUnsafeBufferPointer { q in k.withUnsafeBufferPointer { k in v.withUnsafeBufferPointer { v in
            probabilities.withUnsafeMutableBufferPointer { p in output.withUnsafeMutableBufferPointer { o in
                let (p, o) = (p.baseAddress!, o.baseAddress!)
                forEachHead { head, kvHead, b in
                    let scores = p + head * t * s
                    BLAS.multiply(transposeA: false, transposeB: true, m: t, n: s, k: d,
                                  q.baseAddress! + head * t * d, k.baseAddress! + kvHead * s * d, into: scores)
                    for i in 0..<t {
                        // Masked scores get probability 0 (not a large negative score), so a
                        // query with no visible key has an all-zero row: zero output, zero gradient.
                        let visible = visibleKeys(query: i, batchEntry: b)
                        let row = UnsafeMutableBufferPointer(start: scores + i * s, count: s)
                        for j in visible { row[j] *= scale }
                        if !visible.isEmpty {
                            Kernels.softmax(UnsafeBufferPointer(rebasing: row[visible]), into: UnsafeMutableBufferPointer(rebasing: row[visible]))
                        }
                        for j in 0..<visible.lowerBound { row[j] = 0 }
                        for j in visible.upperBound..<s { row[j] = 0 }
                    }
                    guard dv > 0 else { return }
                    BLAS.multiply(transposeA: false, transposeB: false, m: t, n: dv, k: s,
                                  scores, v.baseAddress! + kvHead * s * dv, into: o + head * t * dv)
                }
            } }
        } } }
        return (probabilities, output)
    }

    /// The gradients of query, key and value (only those asked for) from the output's gradient.
    /// With `P` the probabilities: `dV = Pᵀ dO`, `dP = dO Vᵀ`, `dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale`,
    /// `dQ = dS K`, `dK = dSᵀ Q`; heads sharing a key/value head add their `dK` and `dV` (in head
    /// order). Masked keys (causal or padding) have `P = 0`, so `dS` vanishes there with no extra
    /// test. As the forward, head by head (heads of different key/value heads side by side).
    func backward(
        _ dO: [Float], _ probabilities: [Float], _ q: [Float], _ k: [Float], _ v: [Float],
        needs: (query: Bool, key: Bool, value: Bool)
    ) -> (query: [Float]?, key: [Float]?, value: [Float]?) {
        var dQ = [Float](repeating: 0, count: needs.query ? q.count : 0)
        var dK = [Float](repeating: 0, count: needs.key ? k.count : 0)
        var dV = [Float](repeating: 0, count: needs.value ? v.count : 0)
        let needsScores = needs.query || needs.key
        // Each head's dP (then dS) is written by a product with beta 0 before it is read.
        var dS = Kernels.unset(needsScores ? probabilities.count : 0)
        guard t > 0, s > 0, d > 0, dv > 0 else {
            return (needs.query ? dQ : nil, needs.key ? dK : nil, needs.value ? dV : nil)
        }
        dO.withUnsafeBufferPointer { dO in probabilities.withUnsafeBufferPointer { p in
        q.withUnsafeBufferPointer { q in k.withUnsafeBufferPointer { k in v.withUnsafeBufferPointer { v in
        dQ.withUnsafeMutableBufferPointer { dQ in dK.withUnsafeMutableBufferPointer { dK in dV.withUnsafeMutableBufferPointer { dV in
        dS.withUnsafeMutableBufferPointer { dS in
            forEachHead { head, kvHead, _ in
                let (pHead, dOHead) = (p.baseAddress! + head * t * s, dO.baseAddress! + head * t * dv)
                if needs.value {
                    BLAS.multiply(transposeA: true, transposeB: false, m: s, n: dv, k: t,
                                  pHead, dOHead, into: dV.baseAddress! + kvHead * s * dv, beta: 1)
                }
                guard needsScores else { return }
                // dP, then dS in place, row by row.
                let dSHead = dS.baseAddress! + head * t * s
                BLAS.multiply(transposeA: false, transposeB: true, m: t, n: s, k: dv,
                              dOHead, v.baseAddress! + kvHead * s * dv, into: dSHead)
                for i in 0..<t {
                    let pRow = UnsafeBufferPointer(start: pHead + i * s, count: s)
                    let dRow = UnsafeMutableBufferPointer(start: dSHead + i * s, count: s)
                    let inner = Kernels.dot(UnsafeBufferPointer(dRow), pRow)
                    for j in 0..<s { dRow[j] = pRow[j] * (dRow[j] - inner) * scale }
                }
                if needs.query {
                    BLAS.multiply(transposeA: false, transposeB: false, m: t, n: d, k: s,
                                  dSHead, k.baseAddress! + kvHead * s * d, into: dQ.baseAddress! + head * t * d)
                }
                if needs.key {
                    BLAS.multiply(transposeA: true, transposeB: false, m: s, n: d, k: t,
                                  dSHead, q.baseAddress! + head * t * d, into: dK.baseAddress! + kvHead * s * d, beta: 1)
                }
            }
        } } } } } } } } }
        return (needs.query ? dQ : nil, needs.key ? dK : nil, needs.value ? dV : nil)
    }
}
