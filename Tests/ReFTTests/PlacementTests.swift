import Interventions
import ReFT
import Tensors
import TestSupport
import Testing
import Transformers

/// Small random base models for the ReFT tests.
enum BaseModels {
    static func llama(layers: Int = 2, width: Int = 16) throws -> TransformerConfiguration {
        try TransformerConfiguration(family: .llama, vocabularySize: 29, hiddenSize: width, layerCount: layers, headCount: 4,
                                     keyValueHeadCount: 2, intermediateSize: 24, maxPositions: 64, tiedEmbeddings: false)
    }

    static func gpt2(layers: Int = 2) throws -> TransformerConfiguration {
        try TransformerConfiguration(family: .gpt2, vocabularySize: 29, hiddenSize: 16, layerCount: layers, headCount: 4,
                                     intermediateSize: 32, maxPositions: 32, tiedEmbeddings: true)
    }

    /// Deterministic prompt ids of the given length.
    static func prompt(_ length: Int, salt: Int = 0) -> [Int] { (0..<length).map { 1 + ($0 * 7 + salt * 3) % 27 } }
}

@Suite("ReFT placement: positions in padded batches, plans, composition")
struct PlacementTests {
    static let promptLengths = [1, 2, 4, 5, 7]  // f2+l3: 1, 2, n+m−1 = 4, n+m = 5, longer

    /// A batch with the prompts left-padded (generation) or followed by a completion and right
    /// padding (training), with each row's prompt offset and the positions that are not prompt.
    static func batch(leftPadded: Bool) throws -> (tokens: TokenBatch, offsets: [Int]) {
        let prompts = promptLengths.enumerated().map { BaseModels.prompt($1, salt: $0) }
        if leftPadded {
            let tokens = try TokenBatch.leftPadded(prompts, padToken: 0)
            return (tokens, tokens.leftPadding)
        }
        let examples = prompts.map { PromptCompletionExample(prompt: $0, completion: [5, 6], line: 1) }
        return (try PromptCompletionDataset.batch(examples, padToken: 0).tokens, prompts.map { _ in 0 })
    }

    @Test("a plan touches only prompt tokens, each once, with left and right padding",
          arguments: [true, false])
    func planPositions(leftPadded: Bool) throws {
        let configuration = try BaseModels.llama()
        let model = try Transformer(configuration: configuration, seed: 1, scale: 0.3)
        let spec = ReFTSpec(rank: 2, layers: .list([1]), positions: try PositionSpec(parsing: "f2+l3"), shareWeights: false)
        let adapter = try ReFTAdapter(spec: spec, model: configuration, seed: 2)
        let (tokens, offsets) = try Self.batch(leftPadded: leftPadded)
        let plan = try adapter.plan(tokens: tokens, promptLengths: Self.promptLengths)
        let site = Site(layer: 1, component: .blockOutput)
        let entry = try #require(plan.entry(at: site))
        #expect(plan.entries.count == 1)
        let positions = try #require(entry.positions)
        for (row, p) in Self.promptLengths.enumerated() {
            let prompt = offsets[row]..<(offsets[row] + p)
            #expect(positions[row].allSatisfy(prompt.contains), "row \(row): \(positions[row]) outside the prompt \(prompt)")
            #expect(Set(positions[row]).count == positions[row].count)
            #expect(positions[row].count == min(p, 5))
        }

        // Run it: at the site, exactly the planned rows change, each by one application of its
        // own intervention (prefix or suffix) to the unintervened row.
        let plain = try model(tokens, collecting: [site], logits: .none).collected[site]!
        let edited = try model(tokens, plan: plan, collecting: [site], logits: .none).collected[site]!
        let (t, d) = (tokens.length, configuration.hiddenSize)
        let prefix = try #require(adapter.intervention(layer: 1, part: .prefix))
        let suffix = try #require(adapter.intervention(layer: 1, part: .suffix))
        for (row, p) in Self.promptLengths.enumerated() {
            let (first, last) = try spec.positions.positions(promptLength: p, offset: offsets[row])
            for position in 0..<t {
                let range = (row * t + position) * d..<((row * t + position) + 1) * d
                let before = try Tensor(shape: [1, d], scalars: Array(plain.scalars[range]))
                let after = Array(edited.scalars[range])
                let expected: [Float]
                if first.contains(position) {
                    expected = try prefix.apply(base: before, sources: []).scalars
                } else if last.contains(position) {
                    expected = try suffix.apply(base: before, sources: []).scalars
                } else {
                    expected = before.scalars
                }
                #expect(zip(after, expected).allSatisfy { abs($0 - $1) <= 1e-5 * (1 + abs($1)) },
                        "row \(row) (prompt \(p)), position \(position)")
            }
        }
    }

    @Test("shared weights: one intervention per layer on the union of prefix and suffix")
    func sharedWeights() throws {
        let configuration = try BaseModels.gpt2()
        let spec = ReFTSpec(rank: 2, layers: .all, positions: try PositionSpec(parsing: "f2+l3"), shareWeights: true)
        let adapter = try ReFTAdapter(spec: spec, model: configuration, seed: 2)
        #expect(adapter.interventions.map(\.part) == [.all, .all])
        #expect(adapter.namedParameters.map(\.name) == ["layers.0.all.rotation", "layers.0.all.weight", "layers.0.all.bias",
                                                        "layers.1.all.rotation", "layers.1.all.weight", "layers.1.all.bias"])
        let (tokens, offsets) = try Self.batch(leftPadded: true)
        let plan = try adapter.plan(tokens: tokens, promptLengths: Self.promptLengths)
        #expect(plan.entries.count == 2)
        for entry in plan.entries {
            #expect(entry.intervention is ReFTIntervention)
            for (row, p) in Self.promptLengths.enumerated() {
                let (first, last) = try spec.positions.positions(promptLength: p, offset: offsets[row])
                #expect(entry.positions![row] == first + last)
            }
        }
        #expect(!adapter.isTraining)
        adapter.isTraining = true
        #expect(adapter.interventions.allSatisfy { $0.intervention.isTraining })
        let separate = try ReFTAdapter(spec: ReFTSpec(rank: 2, layers: .all, positions: spec.positions), model: configuration, seed: 2)
        #expect(separate.interventions.count == 4)
        #expect(separate.spec.description == "LoReFT rank 2, layers all (block_output), positions f2+l3, separate weights")
        #expect(ReFTSpec(kind: .direft, rank: 1, layers: .list([0, 3]), positions: try PositionSpec(parsing: "l1"), activation: .relu,
                         dropout: 0.5).description == "DiReFT rank 1, layers 0,3 (block_output), positions l1, relu, dropout 0.5")
        #expect(separate.parameterCount == 4 * (2 * 16 * 2 + 2))
    }

    @Test("a prompt that does not fit its row, or lengths for another batch size, are refused")
    func badPlacement() throws {
        let configuration = try BaseModels.llama()
        let adapter = try ReFTAdapter(spec: ReFTSpec(rank: 2, layers: .all, positions: try PositionSpec(parsing: "l1")),
                                      model: configuration, seed: 2)
        let tokens = try TokenBatch.leftPadded([[1, 2, 3], [4]])
        #expect(throws: ReFTError.self) { try adapter.plan(tokens: tokens, promptLengths: [3]) }
        #expect(throws: ReFTError.self) { try adapter.plan(tokens: tokens, promptLengths: [3, 2]) }  // row 1 has 2 padding + 2 > 3
        #expect(throws: ReFTError.self) {
            try ReFTAdapter(spec: ReFTSpec(rank: 2, layers: .list([2]), positions: try PositionSpec(parsing: "l1")), model: configuration, seed: 2)
        }
        #expect(throws: ReFTError.self) {
            try ReFTAdapter(spec: ReFTSpec(rank: 17, layers: .all, positions: try PositionSpec(parsing: "l1")), model: configuration, seed: 2)
        }
    }

    @Test("other sites: the spec's component is where the interventions act")
    func otherSite() throws {
        let configuration = try BaseModels.llama()
        let model = try Transformer(configuration: configuration, seed: 1, scale: 0.3)
        for component in Site.Component.allCases {
            let spec = ReFTSpec(kind: .direft, rank: 3, layers: .list([0]), component: component, positions: try PositionSpec(parsing: "l1"))
            let adapter = try ReFTAdapter(spec: spec, model: configuration, seed: 4)
            let tokens = try TokenBatch([BaseModels.prompt(4)])
            let plan = try adapter.plan(tokens: tokens, promptLengths: [4])
            #expect(plan.entries.map(\.site) == [Site(layer: 0, component: component)])
            let plain = try model(tokens).logits!
            let edited = try model(tokens, plan: plan).logits!
            // Only the last position is intervened on: earlier positions' logits are unchanged (causal).
            let vocabulary = configuration.vocabularySize
            #expect(Array(plain.scalars[0..<(3 * vocabulary)]) == Array(edited.scalars[0..<(3 * vocabulary)]))
            #expect(plain.scalars[(3 * vocabulary)...] != edited.scalars[(3 * vocabulary)...])
        }
    }

    @Test("left padding does not change what the interventions do to a prompt")
    func paddingInvariance() throws {
        let configuration = try BaseModels.llama()
        let model = try Transformer(configuration: configuration, seed: 1, scale: 0.3)
        let adapter = try ReFTAdapter(spec: ReFTSpec(rank: 2, layers: .all, positions: try PositionSpec(parsing: "f1+l2")),
                                      model: configuration, seed: 9)
        let short = BaseModels.prompt(3, salt: 1), long = BaseModels.prompt(6, salt: 2)
        let padded = try TokenBatch.leftPadded([short, long])
        let both = try model(padded, plan: adapter.plan(tokens: padded, promptLengths: [3, 6]), logits: .last).logits!
        let alone = try TokenBatch([short])
        let single = try model(alone, plan: adapter.plan(tokens: alone, promptLengths: [3]), logits: .last).logits!
        let vocabulary = configuration.vocabularySize
        #expect(close(Array(both.scalars[0..<vocabulary]), single.scalars, tolerance: 1e-4))
        let unintervened = try model(alone, logits: .last).logits!
        #expect(!close(unintervened.scalars, single.scalars, tolerance: 1e-4), "the adapter changes the output")
    }

    @Test("composition: adapters on different layers, and in order at one site")
    func composition() throws {
        let configuration = try BaseModels.llama()
        let model = try Transformer(configuration: configuration, seed: 1, scale: 0.3)
        let positions = try PositionSpec(parsing: "l2")
        let a = try ReFTAdapter(spec: ReFTSpec(rank: 2, layers: .list([0]), positions: positions), model: configuration, seed: 1)
        let b = try ReFTAdapter(spec: ReFTSpec(kind: .direft, rank: 3, layers: .list([1]), positions: positions), model: configuration, seed: 2)
        let tokens = try TokenBatch([BaseModels.prompt(5)])
        let plan = try ReFTAdapter.plan([a, b], tokens: tokens, promptLengths: [5])
        #expect(plan.entries.count == 2)
        #expect(plan.entry(at: Site(layer: 0, component: .blockOutput))!.intervention === a.interventions[0].intervention)
        #expect(plan.entry(at: Site(layer: 1, component: .blockOutput))!.intervention === b.interventions[0].intervention)

        // Same site: the second acts on the first's output, row by row.
        let c = try ReFTAdapter(spec: ReFTSpec(kind: .noreft, rank: 2, layers: .list([0]), positions: try PositionSpec(parsing: "f1+l1")),
                                model: configuration, seed: 3)
        let site = Site(layer: 0, component: .blockOutput)
        let composed = try ReFTAdapter.plan([a, c], tokens: tokens, promptLengths: [5])
        let entry = try #require(composed.entry(at: site))
        #expect(entry.positions! == [[0, 3, 4]])
        let sequence = try #require(entry.intervention as? InterventionSequence)
        #expect(sequence.rows.count == 3)  // a's one intervention, c's prefix and suffix
        #expect(sequence.parameterCount == a.parameterCount + c.parameterCount)
        let plain = try model(tokens, collecting: [site], logits: .none).collected[site]!
        let edited = try model(tokens, plan: composed, collecting: [site], logits: .none).collected[site]!
        let d = configuration.hiddenSize
        func row(_ tensor: Tensor, _ position: Int) throws -> Tensor {
            try Tensor(shape: [1, d], scalars: Array(tensor.scalars[(position * d)..<((position + 1) * d)]))
        }
        let ai = a.interventions[0].intervention
        let prefix = c.intervention(layer: 0, part: .prefix)!, suffix = c.intervention(layer: 0, part: .suffix)!
        let expected: [Int: [Float]] = [
            0: try prefix.apply(base: row(plain, 0), sources: []).scalars,
            3: try ai.apply(base: row(plain, 3), sources: []).scalars,
            4: try suffix.apply(base: ai.apply(base: row(plain, 4), sources: []), sources: []).scalars,
        ]
        for position in 0..<5 {
            let want = try expected[position] ?? row(plain, position).scalars
            #expect(close(try row(edited, position).scalars, want, tolerance: 1e-5), "position \(position)")
        }
        // Order matters at a shared row: c then a differs from a then c at position 4.
        let reversed = try model(tokens, plan: ReFTAdapter.plan([c, a], tokens: tokens, promptLengths: [5]),
                                 collecting: [site], logits: .none).collected[site]!
        #expect(!close(try row(reversed, 4).scalars, try row(edited, 4).scalars, tolerance: 1e-5))

        // Adapters of different base models cannot be combined.
        let other = try ReFTAdapter(spec: ReFTSpec(rank: 2, layers: .list([0]), positions: positions), model: BaseModels.llama(layers: 3), seed: 1)
        #expect(throws: ReFTError.self) { try ReFTAdapter.plan([a, other], tokens: tokens, promptLengths: [5]) }
    }

    @Test("gradients reach every intervention of a composed plan through the transformer")
    func trainingThroughPlan() throws {
        let configuration = try BaseModels.llama()
        let model = try Transformer(configuration: configuration, seed: 1, scale: 0.3)
        model.freeze()
        let adapter = try ReFTAdapter(spec: ReFTSpec(rank: 2, layers: .all, positions: try PositionSpec(parsing: "f1+l1")),
                                      model: configuration, seed: 5)
        let examples = [PromptCompletionExample(prompt: [1, 2, 3], completion: [4, 5], line: 1),
                        PromptCompletionExample(prompt: [6], completion: [7, 8, 9], line: 2)]
        let batch = try PromptCompletionDataset.batch(examples)
        let optimizer = Adam(parameters: adapter.parameters, learningRate: 0.02)
        func loss() throws -> Tensor {
            try model.languageModelLoss(batch.tokens, labels: batch.labels,
                                        plan: adapter.plan(tokens: batch.tokens, promptLengths: batch.promptLengths))
        }
        let first = try loss().scalar
        for _ in 0..<15 {
            optimizer.zeroGradients()
            try loss().backward()
            #expect(adapter.parameters.allSatisfy { $0.gradient != nil })
            try adapter.willStep()
            optimizer.step()
            try adapter.didStep()
        }
        let last = try loss().scalar
        #expect(last < first, "loss \(first) → \(last)")
        for entry in adapter.interventions { #expect(entry.intervention.rotation!.orthonormalityError < 1e-4) }
        #expect(model.parameters.allSatisfy { $0.gradient == nil })
    }
}

@Suite("ReFT generation plans")
struct GenerationPlanTests {
    @Test("generation with an adapter: positions index the padded prefill; each prompt as if alone")
    func generation() throws {
        let configuration = try BaseModels.gpt2()
        let model = try Transformer(configuration: configuration, seed: 3, scale: 0.5)
        let adapter = try ReFTAdapter(spec: ReFTSpec(rank: 4, layers: .all, positions: try PositionSpec(parsing: "f1+l2")),
                                      model: configuration, seed: 8)
        // Make the interventions strong enough to change greedy choices.
        for entry in adapter.interventions { entry.intervention.bias.scalars = entry.intervention.bias.scalars.map { $0 * 40 } }
        let prompts = [BaseModels.prompt(2, salt: 1), BaseModels.prompt(7, salt: 2), BaseModels.prompt(1, salt: 3)]
        let options = GenerationOptions(maxNewTokens: 5, padToken: 3)
        let together = try model.generate(prompts: prompts, options: options, plan: adapter.generationPlan(prompts: prompts))
        for (index, prompt) in prompts.enumerated() {
            let alone = try model.generate(prompts: [prompt], options: options, plan: adapter.generationPlan(prompts: [prompt]))
            #expect(alone[0] == together[index], "prompt \(index)")
        }
        let plain = try model.generate(prompts: prompts, options: options)
        #expect(plain != together, "the adapter changes what is generated")
    }
}
