import Experiments
import Foundation
import ReFT
import Testing
import Transformers

/// The ReFT tutorials' parts (`notebooks-as-scripts/reft-*`), at a reduced size: the committed
/// corpus, the style checks, pretraining and its cache on a tiny model, and each experiment on the
/// small committed model.
@Suite(.serialized) struct ReFTTutorialTests {
    static let corpusURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(ReFTTutorialSetup.corpusPath)

    /// The small committed model (`ReFTTutorialBaseRecipe.testModel`, written by
    /// `swift run reft-new-style --write-test-model Tests/Fixtures/reft-tutorial-model`): it knows the facts.
    static func small() throws -> ReFTTutorialBase {
        try ReFTTutorialBase.load(
            from: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/reft-tutorial-model"),
            world: ReFTTutorialSetup.world)
    }

    @Test func theCommittedCorpusIsTheGeneratedOne() throws {
        let committed = try Data(contentsOf: Self.corpusURL)
        #expect(committed == Data(ReFTTutorialSetup.corpusText().utf8), "regenerate with: swift run reft-new-style --write-corpus \(ReFTTutorialSetup.corpusPath)")
        #expect(committed.count < 2_000_000)
    }

    @Test func theCorpusStatesTheWorldsFactsAndNeverAnswersInEitherStyle() throws {
        let world = ReFTTutorialSetup.world
        let answers = Dictionary(uniqueKeysWithValues: world.questions.map { ($0.prompt, $0.plainAnswer) })
        let words = Set(world.words)
        var questionLines = 0
        for line in ReFTTutorialSetup.corpusText().split(separator: "\n").map(String.init) {
            #expect(line.split(separator: " ").allSatisfy { words.contains(String($0)) }, "a word outside the vocabulary in: \(line)")
            guard let marker = line.range(of: " answer : ") else { continue }
            questionLines += 1
            let prompt = String(line[..<marker.lowerBound]) + " answer :", answer = String(line[marker.upperBound...])
            #expect(answers[prompt] == answer, "\(line)")
            for style in AnswerStyle.allCases { #expect(!style.isFollowed(by: answer), "\(style) in the corpus: \(line)") }
        }
        #expect(questionLines > 2000)
        // Each style's words do occur elsewhere, so the tokens are trained.
        let text = ReFTTutorialSetup.corpusText()
        #expect(text.contains("well , ") && text.contains(" my friend"))
    }

    @Test func stylesAreCheckedOnTheAnswerOnly() throws {
        let question = ReFTTutorialSetup.world.questions[0]
        for style in AnswerStyle.allCases {
            #expect(style.isFollowed(by: style.answer(to: question)))
            #expect(!style.isFollowed(by: question.plainAnswer))
            #expect(style.answer(to: question).contains(question.fact))
        }
        #expect(AnswerStyle.opensWithWell.answer(to: question) == "well , \(question.fact) .")
        #expect(!AnswerStyle.opensWithWell.isFollowed(by: "well the fox"))
        #expect(!AnswerStyle.opensWithMyFriend.isFollowed(by: "well , my friend , the fox"))
    }

    @Test func splitsAreDisjointSeededAndRefuseTooMany() throws {
        let world = ReFTTutorialSetup.world
        let a = try StyleTaskSplits(world: world, trainingCount: 10, validationCount: 20, testCount: 120, seed: 3)
        let b = try StyleTaskSplits(world: world, trainingCount: 10, validationCount: 20, testCount: 120, seed: 3)
        #expect(a.training == b.training && a.test == b.test)
        let prompts = (a.training + a.validation + a.test).map(\.prompt)
        #expect(Set(prompts).count == 150)
        #expect(throws: ReFTTutorialError.self) { try StyleTaskSplits(world: world, trainingCount: 10, validationCount: 20, testCount: 121, seed: 3) }
    }

    @Test func pretrainingIsCachedByRecipeAndCorpus() throws {
        var recipe = ReFTTutorialBaseRecipe()
        (recipe.layers, recipe.width, recipe.heads, recipe.intermediate, recipe.maxPositions) = (1, 8, 2, 16, 32)
        (recipe.sequenceLength, recipe.batchSize, recipe.epochs) = (16, 8, 1)
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("reft-tutorial-tests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let world = ReFTTutorialSetup.world, corpus = world.corpus(lineCount: 60, seed: 1)
        let base = try ReFTTutorialBase.pretrained(recipe: recipe, corpus: corpus, world: world, cacheRoot: cache)
        #expect(!base.fromCache && base.metadata.epochLosses.count == 1 && base.metadata.epochLosses[0].isFinite)
        for file in ["config.json", "model.safetensors", "tokenizer.json", ReFTTutorialBase.metadataFileName] {
            #expect(FileManager.default.fileExists(atPath: base.directory.appendingPathComponent(file).path), "\(file)")
        }
        let again = try ReFTTutorialBase.pretrained(recipe: recipe, corpus: corpus, world: world, cacheRoot: cache)
        #expect(again.fromCache && again.directory == base.directory)
        #expect(again.model.parameters.map(\.scalars) == base.model.parameters.map(\.scalars))
        // Another corpus is another entry; the same seed gives the same weights.
        let other = try ReFTTutorialBase.pretrained(recipe: recipe, corpus: corpus + corpus, world: world, cacheRoot: cache)
        #expect(!other.fromCache && other.directory != base.directory)
        #expect(throws: ReFTTutorialError.self) {
            var bad = recipe
            bad.sequenceLength = 33
            _ = try ReFTTutorialBase.pretrained(recipe: bad, corpus: corpus, world: world, cacheRoot: cache)
        }
    }

    @Test func theSmallModelKnowsTheFactsAndEveryWordIsOneToken() throws {
        let base = try Self.small()
        for word in base.world.words { #expect(base.tokenizer.encode(" " + word).count == 1, "\(word)") }
        let questions = Array(base.world.questions.prefix(30))
        let plain = try ReFTTutorialTraining.score(questions, style: .opensWithWell, base: base)
        #expect(plain.styleRate == 0)
        #expect(plain.factRate >= 0.8, "fact rate \(plain.factRate)")
    }

    @Test func aLoReFTAdapterTeachesTheStyleFromTenExamples() throws {
        let base = try Self.small()
        let splits = try StyleTaskSplits(world: base.world, trainingCount: 10, validationCount: 20, testCount: 40, seed: 0)
        let plain = try ReFTTutorialTraining.score(splits.test, style: .opensWithWell, base: base)
        #expect(plain.styleRate == 0)
        let adapter = try ReFTAdapter(spec: try ReFTTutorialTraining.loreft(rank: 4, layers: [0, 1], positions: "f1+l1"), model: base.model.configuration, seed: 0)
        #expect(adapter.parameterCount == 2 * 2 * (2 * 32 * 4 + 4))
        let data = try ReFTTutorialTraining.dataset(splits.training, style: .opensWithWell, base: base)
        #expect(data.examples.count == 10 && data.examples.allSatisfy { $0.completion.last == base.endOfText })
        try ReFTTutorialTraining.train(adapter, on: data, base: base, options: ReFTTrainingOptions(epochs: 60, batchSize: 10, learningRate: 3e-2))
        let adapted = try ReFTTutorialTraining.score(splits.test, style: .opensWithWell, base: base, plan: ReFTTutorialTraining.planMaker([adapter]))
        #expect(adapted.styleRate >= 0.8, "style rate \(adapted.styleRate)")
        #expect(adapted.count == 40)
    }

    @Test func memorisationRunsAreDeterministicAndStopAtAnExactMatch() throws {
        let base = try Self.small()
        let sequence = try ReFTMemorisation.randomSequence(length: 4, base: base, seed: 5)
        #expect(sequence == (try ReFTMemorisation.randomSequence(length: 4, base: base, seed: 5)))
        #expect(sequence.allSatisfy { $0 < base.endOfText })
        let first = try ReFTMemorisation.run(base: base, layers: [1], sequence: sequence, maxSteps: 60, checkEvery: 20, learningRate: 5e-2, seed: 0)
        let second = try ReFTMemorisation.run(base: base, layers: [1], sequence: sequence, maxSteps: 60, checkEvery: 20, learningRate: 5e-2, seed: 0)
        #expect(first.recovered == second.recovered && first.steps == second.steps && first.loss == second.loss)
        #expect(first.length == 4 && first.recovered >= 0 && first.recovered <= 1 && first.steps <= 60 && first.steps % 20 == 0)
        #expect(first.layers == [1] && first.rank == 1 && first.positions == "l1" && first.parameterCount == 2 * 32 + 1)
        #expect(first.teacherForced >= 0 && first.teacherForced <= 1 && first.finalLoss.isFinite)
        // One token is within a rank-1 intervention's reach: training stops at the first check that finds it.
        let one = try ReFTMemorisation.run(base: base, layers: [1], sequence: Array(sequence.prefix(1)), maxSteps: 200, checkEvery: 20,
                                           learningRate: 5e-2, seed: 0)
        #expect(one.isExact && one.steps < 200, "one token: recovered \(one.recovered) after \(one.steps) steps")
        #expect(one.teacherForced == 1, "what greedy decoding wrote is the top choice under teacher forcing too")
        #expect(throws: ReFTTutorialError.self) {
            try ReFTMemorisation.run(base: base, layers: [1], sequence: [Int](repeating: 0, count: 64), maxSteps: 1, checkEvery: 1, learningRate: 1e-2, seed: 0)
        }
    }

    /// Memorisation's flat curve is not the code's: an intervention at the last prompt token
    /// changes the logits of every later position (below the last layer), in training's forward pass
    /// and in generation's prefill alike, leaves earlier positions bit for bit, and at the last layer
    /// changes nothing after its own position (later positions read that block's input, not its output).
    @Test func anInterventionAtTheLastPromptTokenReachesEveryLaterPositionBelowTheLastLayer() throws {
        let base = try Self.small()
        let prompt = ReFTMemorisation.promptIDs(base: base)
        let sequence = try ReFTMemorisation.randomSequence(length: 6, base: base, seed: 2)
        let tokens = try TokenBatch([prompt + sequence])
        let p = prompt.count - 1, t = prompt.count + sequence.count
        let vocabulary = base.model.configuration.vocabularySize
        let plain = try base.model(tokens).logits!.scalars
        func change(at position: Int, _ logits: [Float]) -> Float {
            (0..<vocabulary).map { abs(logits[position * vocabulary + $0] - plain[position * vocabulary + $0]) }.max()!
        }
        for layer in [0, 1] {
            let adapter = try ReFTAdapter(spec: try ReFTTutorialTraining.loreft(rank: 1, layers: [layer], positions: "l1"),
                                          model: base.model.configuration, seed: 0)
            let trained = try base.model(tokens, plan: try adapter.plan(tokens: tokens, promptLengths: [prompt.count])).logits!.scalars
            for position in 0..<p { #expect(change(at: position, trained) == 0, "layer \(layer), position \(position) before the intervention") }
            #expect(change(at: p, trained) > 1e-3, "layer \(layer): the intervened position itself")
            for position in (p + 1)..<t {
                if layer == base.model.configuration.layerCount - 1 {
                    #expect(change(at: position, trained) == 0, "last layer \(layer), position \(position)")
                } else {
                    #expect(change(at: position, trained) > 1e-3, "layer \(layer), position \(position) after the intervention")
                }
            }
            // Generation's prefill plan acts where training's does: the same logits over the prompt.
            let prefill = try base.model(try TokenBatch([prompt]), plan: try adapter.generationPlan(prompts: [prompt])).logits!.scalars
            #expect(zip(prefill, trained.prefix(prompt.count * vocabulary)).allSatisfy { abs($0 - $1) <= 1e-5 })
        }
    }

    /// Memorisation's training loss is the teacher-forced loss recomputed without gradients, and a
    /// step lowers it: the loss positions and the completion encoding are the ones decoding is scored on.
    @Test func memorisationsTrainingLossIsARecomputationAndFalls() throws {
        let base = try Self.small()
        let sequence = try ReFTMemorisation.randomSequence(length: 5, base: base, seed: 3)
        let data = try ReFTMemorisation.dataset(sequence: sequence, base: base)
        #expect(data.examples.count == 1 && data.examples[0].completion == sequence && data.examples[0].prompt == ReFTMemorisation.promptIDs(base: base))
        let adapter = try ReFTAdapter(spec: try ReFTTutorialTraining.loreft(rank: 1, layers: [0], positions: "l1"), model: base.model.configuration, seed: 0)
        let trainer = try ReFTTrainer(model: base.model, adapter: adapter, data: data, options: ReFTTrainingOptions(epochs: 20, batchSize: 1, learningRate: 5e-2))
        let before = try trainer.evaluate(data).loss
        let batch = try trainer.batches(epoch: 0)[0]
        let stepLoss = try trainer.step(batch, epoch: 1)
        #expect(abs(stepLoss - before) <= 1e-5 * max(1, abs(before)), "step \(stepLoss), recomputed \(before)")
        for _ in 0..<9 { try trainer.step(batch, epoch: 1) }
        let after = try trainer.evaluate(data).loss
        #expect(after < before - 0.1, "loss \(before) -> \(after) after 10 steps")
    }

    @Test func reftAndLoRAAreCountedAndLoRALeavesTheBaseAsItWas() throws {
        let base = try Self.small()
        let before = base.model.parameters.map(\.scalars)
        let splits = try StyleTaskSplits(world: base.world, trainingCount: 10, validationCount: 5, testCount: 5, seed: 0)
        var setup = ReFTAgainstLoRA.Setup()
        (setup.reftLayers, setup.loraLayers, setup.learningRates, setup.epochs) = ([0, 1], [0, 1], [1e-2], 3)
        let points = try ReFTAgainstLoRA.run(base: base, splits: splits, setup: setup, reftRanks: [1, 2], loraRanks: [1, 2])
        #expect(points.map(\.method) == ["LoReFT", "LoReFT", "LoRA", "LoRA"])
        // LoReFT (f1+l1, separate weights): 2 layers x 2 parts x (2dk + k); LoRA: 2 layers x {q, v} x r (d_in + d_out), d = 32.
        #expect(points.map(\.trainableParameters) == [2 * 2 * (64 + 1), 2 * 2 * (128 + 2), 4 * (1 * 64), 4 * (2 * 64)])
        #expect(base.model.parameters.map(\.scalars) == before)
    }

    @Test func twoAdaptersComposeOnTheirOwnLayers() throws {
        let base = try Self.small()
        let splits = try StyleTaskSplits(world: base.world, trainingCount: 80, validationCount: 10, testCount: 30, seed: 0)
        let skills = ReFTComposition.skills(aLayers: [0], bLayers: [1])
        let lines = String(decoding: try ReFTComposition.trainingLines(skills[0], questions: splits.training, perKind: 3), as: UTF8.self)
        #expect(lines.split(separator: "\n").count == 6 && lines.components(separatedBy: "well , ").count - 1 == 3)
        // Trained on its own kind only: the 3 styled home answers and nothing else.
        let ownOnly = String(decoding: try ReFTComposition.trainingLines(skills[0], questions: splits.training, perKind: 3, others: .absent), as: UTF8.self)
        #expect(ownOnly.split(separator: "\n").count == 3 && ownOnly.components(separatedBy: "well , ").count - 1 == 3 && !ownOnly.contains("colour"))
        let options = ReFTTrainingOptions(epochs: 40, batchSize: 6, learningRate: 3e-2)
        let a = try ReFTComposition.train(skills[0], base: base, questions: splits.training, perKind: 3, rank: 2, options: options, seed: 0)
        let b = try ReFTComposition.train(skills[1], base: base, questions: splits.training, perKind: 3, rank: 2, options: options, seed: 1)
        #expect(a.layerIndices == [0] && b.layerIndices == [1])
        let plain = try ReFTComposition.score(skills: skills, adapters: [], label: "base", base: base, test: splits.test)
        #expect(plain.own.values.allSatisfy { $0.styleRate == 0 })
        let both = try ReFTComposition.score(skills: skills, adapters: [a, b], label: "both", base: base, test: splits.test)
        #expect(both.own["A"]!.count + both.own["B"]!.count == splits.test.filter { $0.kind != .food }.count)
        // Acting together is one plan holding both adapters' interventions.
        let prompt = base.tokenizer.encode(splits.test[0].prompt)
        #expect(try ReFTAdapter.generationPlan([a, b], prompts: [prompt]).entries.count == 2)
        // Trained on top of A: only B's parameters train, A's stay as they were, and the plan holds both.
        let frozenA = a.parameters.map(\.scalars)
        let withA = String(decoding: try ReFTComposition.trainingLines(skills[1], questions: splits.training, perKind: 3, others: .styled(.opensWithWell)), as: UTF8.self)
        #expect(withA.components(separatedBy: "well , ").count - 1 == 3 && withA.components(separatedBy: "my friend , ").count - 1 == 3)
        let bOnA = try ReFTComposition.train(skills[1], on: [a], others: .styled(.opensWithWell), base: base, questions: splits.training, perKind: 3,
                                             rank: 2, options: ReFTTrainingOptions(epochs: 5, batchSize: 6, learningRate: 3e-2), seed: 1)
        #expect(a.parameters.map(\.scalars) == frozenA)
        let stacked = StackedReFTAdapter(frozen: [a], top: bOnA)
        #expect(stacked.parameterCount == bOnA.parameterCount)
        #expect(try stacked.plan(tokens: try TokenBatch([prompt]), promptLengths: [prompt.count]).entries.count == 2)
    }
}
