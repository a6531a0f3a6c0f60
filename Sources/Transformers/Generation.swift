import Interventions
import Tensors

/// What `generate` does after the prompt.
public struct GenerationOptions: Sendable, Equatable {
    /// At most this many new tokens per prompt.
    public var maxNewTokens: Int
    /// A prompt's generation ends after it produces one of these (the stop token is kept in its output).
    public var stopTokens: Set<Int>
    /// How each token is chosen.
    public var sampling: Sampling
    /// The id placed in left padding (masked out, so any valid id works).
    public var padToken: Int

    /// Options with the given count; by default no stop tokens, greedy choice and padding id 0.
    public init(maxNewTokens: Int, stopTokens: Set<Int> = [], sampling: Sampling = .greedy, padToken: Int = 0) {
        self.maxNewTokens = maxNewTokens
        self.stopTokens = stopTokens
        self.sampling = sampling
        self.padToken = padToken
    }
}

extension Transformer {
    /// Continues each prompt with a key/value cache: one prefill over the left-padded prompts (with
    /// `plan` applied there — positions index the padded prefill, see `TokenBatch.leftPadded`),
    /// then one decode step per token with no plan, all without recording gradients.
    ///
    /// - Parameter onToken: called with (prompt index, token) as each token is chosen, for streaming.
    /// - Returns: the new tokens of each prompt (at most `maxNewTokens`; ending at a stop token).
    /// - Throws: `TransformerError.invalidInput` for an empty prompt, a negative count or sequences
    ///   longer than GPT-2's position table; the forward pass's errors.
    public func generate(
        prompts: [[Int]], options: GenerationOptions, plan: InterventionPlan? = nil,
        onToken: ((_ prompt: Int, _ token: Int) -> Void)? = nil
    ) throws -> [[Int]] {
        guard options.maxNewTokens >= 0 else {
            throw TransformerError.invalidInput("maxNewTokens must not be negative, got \(options.maxNewTokens)")
        }
        let batch = try TokenBatch.leftPadded(prompts, padToken: options.padToken)
        if configuration.family == .gpt2, batch.length + options.maxNewTokens > configuration.maxPositions {
            throw TransformerError.invalidInput(
                "\(batch.length) prompt tokens + \(options.maxNewTokens) new ones exceed the model's \(configuration.maxPositions) positions")
        }
        var sampler = try TokenSampler(options.sampling)
        guard options.maxNewTokens > 0 else { return prompts.map { _ in [] } }
        return try Tensor.withoutGradients {
            let cache = KeyValueCache(layerCount: configuration.layerCount)
            var logits = try self(batch, plan: plan, logits: .last, cache: cache).logits!
            var generated = [[Int]](repeating: [], count: prompts.count)
            var finished = [Bool](repeating: false, count: prompts.count)
            let vocabulary = configuration.vocabularySize
            while true {
                var next = [Int](repeating: options.padToken, count: prompts.count)
                for row in 0..<prompts.count where !finished[row] {
                    let token = sampler.next(logits.scalars[(row * vocabulary)..<((row + 1) * vocabulary)])
                    next[row] = token
                    generated[row].append(token)
                    onToken?(row, token)
                    if options.stopTokens.contains(token) || generated[row].count == options.maxNewTokens { finished[row] = true }
                }
                if finished.allSatisfy({ $0 }) { return generated }
                logits = try self(TokenBatch(next.map { [$0] }), logits: .last, cache: cache).logits!
            }
        }
    }
}
