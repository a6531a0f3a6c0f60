import Interventions
import Tensors

/// A decoder-only transformer (GPT-2 or Llama family, DESIGN §7):
///
///     x₀ = tokenEmbedding(ids) (+ positionEmbedding(positions) for GPT-2)     site `embedding`
///     xᵢ₊₁ = layers[i](xᵢ)                                                 sites `layer.<i>.*`
///     logits = finalNorm(x_L) · headᵀ   (head = tokenEmbedding when tied)
///
/// Parameter names are this tree's dotted paths (`layers.3.attention.query.weight`); `WeightMap`
/// translates them to and from Hugging Face names.
public final class Transformer: Module {
    /// The architecture.
    public let configuration: TransformerConfiguration
    /// `[vocabulary, width]`.
    public let tokenEmbedding: Embedding
    /// `[maxPositions, width]`, GPT-2 only.
    public let positionEmbedding: Embedding?
    /// The blocks.
    public let layers: [TransformerBlock]
    /// After the last block.
    public let finalNorm: Normalization
    /// `[vocabulary, width]` when the head is untied; `nil` when it reuses `tokenEmbedding`.
    public let head: Linear?
    /// RoPE's inverse frequencies `[headDim / 2]` (Llama family).
    let inverseFrequencies: [Float]?

    /// A model with seeded random weights as HF initializes them: linear and embedding weights
    /// normal with standard deviation `scale`, biases 0, normalization weights 1.
    public convenience init(configuration: TransformerConfiguration, seed: UInt64, scale: Float = 0.02) throws {
        try self.init(configuration: configuration, randomSeed: seed, scale: scale)
    }

    /// A model with random weights from `randomSeed`, or with zero weights (to be loaded) when it is `nil`.
    init(configuration: TransformerConfiguration, randomSeed: UInt64?, scale: Float = 0.02) throws {
        try configuration.validate(file: "<configuration>")
        self.configuration = configuration
        var generator = SeededGenerator(seed: randomSeed ?? 0)
        let c = configuration
        let width = c.hiddenSize
        func weight(_ shape: [Int]) -> Tensor {
            guard randomSeed != nil else { return Tensor.zeros(shape: shape, requiresGradient: true) }
            return Tensor.normal(shape: shape, standardDeviation: scale, using: &generator, requiresGradient: true)
        }
        func linear(_ outputs: Int, _ inputs: Int, bias: Bool) throws -> Linear {
            try Linear(weight: weight([outputs, inputs]), bias: bias ? Tensor.zeros(shape: [outputs], requiresGradient: true) : nil)
        }
        let norm: Normalization.Kind = c.family == .gpt2 ? .layer : .rms
        tokenEmbedding = Embedding(weight: weight([c.vocabularySize, width]))
        positionEmbedding = c.family == .gpt2 ? Embedding(weight: weight([c.maxPositions, width])) : nil
        layers = try (0..<c.layerCount).map { index in
            let attention = SelfAttention(
                query: try linear(c.headCount * c.headDimension, width, bias: c.queryKeyValueBias),
                key: try linear(c.keyValueHeadCount * c.headDimension, width, bias: c.queryKeyValueBias),
                value: try linear(c.keyValueHeadCount * c.headDimension, width, bias: c.queryKeyValueBias),
                output: try linear(width, c.headCount * c.headDimension, bias: c.outputBias),
                headCount: c.headCount, keyValueHeadCount: c.keyValueHeadCount, headDimension: c.headDimension)
            let mlp = FeedForward(gate: c.family == .llama ? try linear(c.intermediateSize, width, bias: c.mlpBias) : nil,
                                  up: try linear(c.intermediateSize, width, bias: c.mlpBias),
                                  down: try linear(width, c.intermediateSize, bias: c.mlpBias))
            return TransformerBlock(index: index, attentionNorm: Normalization(kind: norm, width: width, epsilon: c.normEpsilon),
                                    attention: attention, mlpNorm: Normalization(kind: norm, width: width, epsilon: c.normEpsilon), mlp: mlp)
        }
        finalNorm = Normalization(kind: norm, width: width, epsilon: c.normEpsilon)
        head = c.tiedEmbeddings ? nil : try linear(c.vocabularySize, width, bias: false)
        inverseFrequencies = c.family == .llama ? c.inverseFrequencies : nil
    }

    /// The sites, in the order a forward pass reaches them: `embedding`, then for each layer
    /// `block_input`, `attention_output`, `mlp_output`, `block_output`.
    public var sites: [Site] {
        [Site.embedding] + (0..<configuration.layerCount).flatMap { layer in
            [Site.Component.blockInput, .attentionOutput, .mlpOutput, .blockOutput].map { Site(layer: layer, component: $0) }
        }
    }

    /// The weight of the output head, `[vocabulary, width]` (the token embedding when tied).
    public var headWeight: Tensor { head?.weight ?? tokenEmbedding.weight }

    /// Runs the model.
    ///
    /// - Parameters:
    ///   - tokens: `[batch, t]` ids, left padding marked.
    ///   - plan: interventions at sites, applied where the pass reaches them (positions index the
    ///     `t` ids of this call).
    ///   - collecting: sites whose representation (`[batch, t, width]`, after any intervention there)
    ///     is returned in `collected`.
    ///   - logits: where to compute head logits; training and decoding ask only for what they need
    ///     (`.last` and `.positions` also spare the top block the earlier positions: see
    ///     `TransformerOutput.firstHiddenPosition`).
    ///   - cache: a key/value cache; empty, it is filled (prefill); filled, `tokens` continue it
    ///     (decode: positions follow the cache, `tokens` must carry no padding).
    /// - Throws: `TransformerError` for ids outside the vocabulary, positions beyond GPT-2's table,
    ///   bad logit positions or a cache of another batch size; `InterventionError.unknownSite` for a
    ///   plan or collection site the model lacks (naming the valid ones); the plan's errors.
    public func callAsFunction(
        _ tokens: TokenBatch, plan: InterventionPlan? = nil, collecting: [Site] = [],
        logits: LogitPositions = .all, cache: KeyValueCache? = nil
    ) throws -> TransformerOutput {
        try validate(logits, batch: tokens.batch, t: tokens.length)
        let topFrom = topBlockStart(logits, t: tokens.length, plan: plan, collecting: collecting)
        if let parts = inferenceParts(tokens, plan: plan, collecting: collecting, cache: cache) {
            return try runInParts(parts, tokens, logits: logits, topBlockFrom: topFrom)
        }
        return try forward(tokens, plan: plan, collecting: collecting, logits: logits, cache: cache, topBlockFrom: topFrom)
    }

    /// The pass itself, the top block computing only positions `topFrom..<t` (see `topBlockStart`).
    private func forward(
        _ tokens: TokenBatch, plan: InterventionPlan?, collecting: [Site], logits: LogitPositions, cache: KeyValueCache?,
        topBlockFrom topFrom: Int
    ) throws -> TransformerOutput {
        let t = tokens.length
        try checkSites((plan?.entries.map(\.site) ?? []) + collecting)
        let (positions, firstValidKey) = try positionsAndPadding(tokens, cache: cache)
        if let window = configuration.slidingWindow, (cache?.length ?? 0) + t > window {
            throw TransformerError.invalidInput(
                "\((cache?.length ?? 0) + t) positions exceed the sliding window of \(window) (sliding_window); only full attention is implemented")
        }
        let pass = ForwardPass(plan: plan, collecting: Set(collecting), positions: positions,
                               firstValidKey: firstValidKey.contains { $0 > 0 } ? firstValidKey : nil,
                               inverseFrequencies: inverseFrequencies, cache: cache)
        var x = try pass.visit(.embedding, embedded(tokens, positions: positions))
        x = try runBlocks(x, from: 0, pass: pass, topBlockFrom: topFrom)
        let hidden = try finalNorm(x)
        if let cache { record(tokens, positions: positions, firstValidKey: firstValidKey, in: cache) }
        return TransformerOutput(logits: try headLogits(hidden, at: logits.dropping(topFrom)), hiddenStates: hidden,
                                 firstHiddenPosition: topFrom, collected: pass.collected)
    }

    /// Blocks `first...` over `x`, the top block computing only positions `topFrom..<t`.
    func runBlocks(_ x: Tensor, from first: Int, pass: ForwardPass, topBlockFrom topFrom: Int) throws -> Tensor {
        var x = x
        for layer in layers[first...] {
            x = try layer(x, pass: pass, outputsFrom: layer.index == layers.count - 1 ? topFrom : 0)
        }
        return x
    }

    /// The first position the top block must compute: the first whose logits are asked for. Only
    /// logits read the top block's output, and a position's logits depend on the earlier positions
    /// only through the keys and values, so the query, attention output and MLP of earlier
    /// positions would be work that nothing reads (forward and backward); the keys and values
    /// are still computed at every position. 0 (every position) for `.all` and `.none` (whose
    /// hidden states are the result), or when the plan or the collection touches the top block
    /// after its input.
    func topBlockStart(_ selection: LogitPositions, t: Int, plan: InterventionPlan?, collecting: [Site]) -> Int {
        guard let top = layers.last else { return 0 }
        let touched = Set((plan?.entries.map(\.site) ?? []) + collecting)
        guard top.sitesAfterInput.allSatisfy({ !touched.contains($0) }) else { return 0 }
        switch selection {
        case .none, .all: return 0
        case .last: return max(0, t - 1)
        case let .positions(perExample): return min(perExample.joined().min() ?? max(0, t - 1), max(0, t - 1))
        }
    }

    /// The selection must fit the batch: one list of positions per example, each in `0..<t`.
    /// - Throws: `TransformerError` naming the example and position.
    func validate(_ selection: LogitPositions, batch: Int, t: Int) throws {
        guard case let .positions(perExample) = selection else { return }
        guard perExample.count == batch else {
            throw TransformerError.invalidInput("logit positions are given for \(perExample.count) examples, the batch has \(batch)")
        }
        for (example, positions) in perExample.enumerated() {
            if let bad = positions.first(where: { !(0..<t).contains($0) }) {
                throw TransformerError.positionOutOfRange(what: "logits", example: example, position: bad, length: t)
            }
        }
    }

    /// Token (and, for GPT-2, learned position) embeddings `[batch, t, width]` of `tokens` at
    /// `positions` (`batch * t` position ids).
    /// - Throws: `TransformerError.invalidInput` for a token id outside the vocabulary or a GPT-2
    ///   position beyond `n_positions`.
    func embedded(_ tokens: TokenBatch, positions: [Int]) throws -> Tensor {
        let (batch, t) = (tokens.batch, tokens.length)
        try validate(tokens, positions: positions)
        let x = try tokenEmbedding(tokens.ids, batch: batch, length: t)
        guard let positionEmbedding else { return x }
        return try x + positionEmbedding(positions, batch: batch, length: t)
    }

    /// Every id must be in the vocabulary and, for GPT-2, every position in its position table.
    /// - Throws: `TransformerError.invalidInput` naming the id (with its example and position) or the position.
    func validate(_ tokens: TokenBatch, positions: [Int]) throws {
        let t = tokens.length
        if let bad = tokens.ids.firstIndex(where: { !(0..<configuration.vocabularySize).contains($0) }) {
            throw TransformerError.invalidInput(
                "token id \(tokens.ids[bad]) (example \(bad / t), position \(bad % t)) is outside the vocabulary 0..<\(configuration.vocabularySize)")
        }
        if configuration.family == .gpt2, let beyond = positions.first(where: { $0 >= configuration.maxPositions }) {
            throw TransformerError.invalidInput("position \(beyond) is beyond the model's \(configuration.maxPositions) positions (n_positions)")
        }
    }

    /// Tokens a part must hold at least for a call to split its rows into parts: below it, the
    /// threads' start-up costs more than the second core wins.
    static let minimumTokensPerPart = 64

    /// How many parts of its rows a call runs side by side (`DataParallel`), or `nil` to run it
    /// whole. Only plain inference splits: no gradients recorded (`Tensor.withoutGradients`), no
    /// interventions, nothing collected, no cache, and at least `minimumTokensPerPart` tokens a part.
    private func inferenceParts(_ tokens: TokenBatch, plan: InterventionPlan?, collecting: [Site], cache: KeyValueCache?) -> Int? {
        guard !Tensor.isRecordingGradients, plan == nil, collecting.isEmpty, cache == nil else { return nil }
        let parts = DataParallel.partCount(items: tokens.batch)
        guard parts > 1, tokens.batch * tokens.length >= parts * Self.minimumTokensPerPart else { return nil }
        return parts
    }

    /// The call run as `parts` groups of consecutive rows side by side, each a whole pass of its
    /// own rows through the blocks (rows never interact), joined in row order; then the head over
    /// the joined rows, one large product on all threads (so the logits are written once, in place).
    private func runInParts(_ parts: Int, _ tokens: TokenBatch, logits: LogitPositions, topBlockFrom topFrom: Int) throws -> TransformerOutput {
        // Checked whole first, so that an error names the example's index in the whole batch.
        try validate(tokens, positions: tokens.positionIds)
        let groups = (0..<parts).map { ($0 * tokens.batch / parts)..<(($0 + 1) * tokens.batch / parts) }
        let hidden = try DataParallel.run(parts: parts) { part -> Tensor in
            let rows = groups[part]
            let mask = tokens.isPadded
                ? rows.map { row in (0..<tokens.length).map { $0 < tokens.leftPadding[row] ? 0 : 1 } } : nil
            return try forward(TokenBatch(rows.map { Array(tokens.row($0)) }, attentionMask: mask), plan: nil, collecting: [],
                               logits: .none, cache: nil, topBlockFrom: topFrom).hiddenStates
        }
        let hiddenStates = try Tensor.concatenate(hidden, alongAxis: 0)
        return TransformerOutput(logits: try headLogits(hiddenStates, at: logits.dropping(topFrom)), hiddenStates: hiddenStates,
                                 firstHiddenPosition: topFrom, collected: [:])
    }

    /// Every site in `sites` must exist.
    func checkSites(_ requested: [Site]) throws {
        let valid = sites
        let known = Set(valid)
        if let unknown = requested.first(where: { !known.contains($0) }) {
            throw InterventionError.unknownSite(unknown, validSites: valid)
        }
    }

    /// Position ids (`batch * t`) and each row's first non-padding key.
    private func positionsAndPadding(_ tokens: TokenBatch, cache: KeyValueCache?) throws -> ([Int], [Int]) {
        guard let cache, cache.length > 0 else { return (tokens.positionIds, tokens.leftPadding) }
        guard cache.batch == tokens.batch else {
            throw TransformerError.invalidInput("the cache holds \(cache.batch) sequences, the tokens have \(tokens.batch) rows")
        }
        guard !tokens.isPadded else {
            throw TransformerError.invalidInput("tokens that continue a cache cannot be padded")
        }
        let positions = (0..<tokens.batch).flatMap { row in (0..<tokens.length).map { cache.nextPositions[row] + $0 } }
        return (positions, cache.firstValidKey)
    }

    /// Advances the cache's bookkeeping after a pass through it.
    private func record(_ tokens: TokenBatch, positions: [Int], firstValidKey: [Int], in cache: KeyValueCache) {
        if cache.length == 0 { cache.firstValidKey = firstValidKey }
        cache.nextPositions = (0..<tokens.batch).map { positions[$0 * tokens.length + tokens.length - 1] + 1 }
        cache.length += tokens.length
    }

    /// The head's logits at the requested positions of `hidden` `[batch, t, width]` (already validated).
    func headLogits(_ hidden: Tensor, at selection: LogitPositions) throws -> Tensor? {
        let (batch, t, width) = (hidden.shape[0], hidden.shape[1], hidden.shape[2])
        let rows: [Int]
        switch selection {
        case .none:
            return nil
        case .all:
            return try Tensor.matmul(hidden, headWeight, transposeB: true)
        case .last:
            rows = (0..<batch).map { $0 * t + t - 1 }
        case let .positions(perExample):
            rows = perExample.enumerated().flatMap { example, positions in positions.map { example * t + $0 } }
        }
        let selected = try hidden.reshaped(to: [batch * t, width]).gatherRows(rows)
        return try Tensor.matmul(selected, headWeight, transposeB: true)
    }
}

/// Where a forward pass computes head logits.
public enum LogitPositions: Sendable, Equatable {
    /// No logits (representations only).
    case none
    /// Every position: logits `[batch, t, vocabulary]`.
    case all
    /// The last position of each row: `[batch, vocabulary]`.
    case last
    /// The listed positions of each example, example by example: `[Σ counts, vocabulary]`.
    case positions([[Int]])

    /// The same selection over positions `start...` renumbered from 0 (all listed positions are at least `start`).
    func dropping(_ start: Int) -> LogitPositions {
        guard start > 0, case let .positions(perExample) = self else { return self }
        return .positions(perExample.map { $0.map { $0 - start } })
    }
}

/// What a forward pass returns.
public struct TransformerOutput {
    /// The head's logits at the requested positions (see `LogitPositions`), `nil` for `.none`.
    public let logits: Tensor?
    /// The final normalization's output (HF's last `hidden_states` entry) at positions
    /// `firstHiddenPosition..<t`: `[batch, t − firstHiddenPosition, width]`.
    public let hiddenStates: Tensor
    /// The first position `hiddenStates` holds: 0 (all of them) unless the logits asked for are
    /// `.last` or `.positions`, when the top block computes only from the first position asked
    /// for (nothing else reads its output; see `Transformer.topBlockStart`).
    public let firstHiddenPosition: Int
    /// The representations at the collected sites, `[batch, t, width]` each.
    public let collected: [Site: Tensor]
}
