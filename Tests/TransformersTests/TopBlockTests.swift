import Foundation
import Interventions
import Tensors
import TestSupport
import Testing
@testable import Transformers

/// When only some positions' logits are asked for, the top block computes its queries, attention
/// output and MLP only from the first of them (`Transformer.topBlockStart`). Everything that reaches
/// the logits, and every gradient, must be what the full top block gives.
@Suite struct TopBlockTests {
    /// 3 rows of 9 ids, row 1 left-padded by 2.
    static func batch(vocabulary: Int) throws -> TokenBatch {
        var generator = SeededGenerator(seed: 9)
        let rows = (0..<3).map { _ in (0..<9).map { _ in generator.nextInt(below: vocabulary) } }
        return try TokenBatch(rows, attentionMask: (0..<3).map { row in (0..<9).map { row == 1 && $0 < 2 ? 0 : 1 } })
    }

    /// Collecting the top block's output keeps every position in it: the full computation.
    static func full(_ model: Transformer) -> [Site] {
        [Site(layer: model.configuration.layerCount - 1, component: .blockOutput)]
    }

    @Test("restricted logits equal the full top block's, with the first position asked for recorded")
    func logitsMatchTheFullTopBlock() throws {
        for model in try TinyModels.all() {
            model.freeze()
            let tokens = try Self.batch(vocabulary: model.configuration.vocabularySize)
            let cases: [(LogitPositions, Int)] = [(.last, 8), (.positions([[5, 8], [4], [6, 7]]), 4), (.positions([[], [3], []]), 3),
                                                  (.positions([[0, 8], [], []]), 0), (.all, 0), (.none, 0)]
            for (selection, start) in cases {
                let restricted = try model(tokens, logits: selection)
                let full = try model(tokens, collecting: Self.full(model), logits: selection)
                #expect(restricted.firstHiddenPosition == start && full.firstHiddenPosition == 0, "\(selection)")
                #expect(restricted.hiddenStates.shape == [3, 9 - start, 16])
                #expect(restricted.logits?.shape == full.logits?.shape, "\(model.configuration.family) \(selection)")
                if let ours = restricted.logits, let theirs = full.logits {
                    #expect(maxAbsoluteDifference(ours.scalars, theirs.scalars) < 1e-5, "\(model.configuration.family) \(selection)")
                }
                // The hidden states kept are the full pass's last positions.
                let suffix = try full.hiddenStates.slice(alongAxis: 1, start..<9)
                #expect(maxAbsoluteDifference(restricted.hiddenStates.scalars, suffix.scalars) < 1e-5)
            }
        }
    }

    @Test("an intervention or a collected site after the top block's input keeps every position")
    func touchedTopBlockRunsInFull() throws {
        let model = try TinyModels.all()[1]
        let top = model.configuration.layerCount - 1
        let tokens = try Self.batch(vocabulary: 23)
        for component in [Site.Component.attentionOutput, .mlpOutput, .blockOutput] {
            let site = Site(layer: top, component: component)
            let plan = InterventionPlan(site: site, intervention: try ZeroIntervention(width: 16, dimensions: [0, 3]), sources: [])
            #expect(try model(tokens, plan: plan, logits: .last).firstHiddenPosition == 0, "\(site)")
            #expect(try model(tokens, collecting: [site], logits: .last).firstHiddenPosition == 0, "\(site)")
        }
        // The top block's input is visited before the cut, with every position: the cut still applies.
        let input = Site(layer: top, component: .blockInput)
        let output = try model(tokens, collecting: [input], logits: .last)
        #expect(output.firstHiddenPosition == 8 && output.collected[input]?.shape == [3, 9, 16])
    }

    @Test("every parameter's gradient through the restricted top block equals the full one's", arguments: [0, 1])
    func gradientsMatchTheFullTopBlock(modelIndex: Int) throws {
        let model = try TinyModels.all()[modelIndex]
        model.unfreeze()
        let tokens = try Self.batch(vocabulary: 23)
        let labels = tokens.ids.enumerated().map { $0.offset % 9 < 6 ? -100 : $0.element }.chunked(9)
        func gradients(collecting: [Site]) throws -> [[Float]] {
            for parameter in model.parameters { parameter.zeroGradient() }
            let positions = labels.map { row in (0..<8).filter { row[$0 + 1] != -100 } }
            let targets = zip(labels, positions).flatMap { row, kept in kept.map { row[$0 + 1] } }
            let logits = try model(tokens, collecting: collecting, logits: .positions(positions)).logits!
            try Tensor.crossEntropy(logits: logits, labels: targets).backward()
            return model.parameters.map { $0.gradient?.scalars ?? [] }
        }
        let restricted = try gradients(collecting: []), full = try gradients(collecting: Self.full(model))
        for ((name, _), (ours, theirs)) in zip(model.namedParameters, zip(restricted, full)) {
            #expect(ours.count == theirs.count && maxAbsoluteDifference(ours, theirs) < 1e-5, "\(name)")
        }
        // And the restricted pass against finite differences, on the top block's own weights.
        let topBlock = model.layers.last!
        try expectGradientsMatch(of: [topBlock.attention.query.weight, topBlock.attention.key.weight, topBlock.mlp.up.weight],
                                 tolerance: 3e-3) { _ in
            try model.languageModelLoss(tokens, labels: labels).reshaped(to: [1])
        }
    }

    @Test("a cached prefill that asks for the last logits, then decoding, equals recomputing everything")
    func cachedPrefillMatches() throws {
        for model in try TinyModels.all() {
            model.freeze()
            let prompt = [3, 1, 4, 1, 5, 9]
            let cache = KeyValueCache(layerCount: model.configuration.layerCount)
            let prefill = try model(TokenBatch([prompt]), logits: .last, cache: cache)
            #expect(prefill.firstHiddenPosition == 5)
            let step = try model(TokenBatch([[2]]), logits: .last, cache: cache).logits!
            let recomputed = try model(TokenBatch([prompt + [2]]), logits: .all).logits!
            let lastRow = Array(recomputed.scalars.suffix(23))
            #expect(maxAbsoluteDifference(step.scalars, lastRow) < 1e-5)
            #expect(maxAbsoluteDifference(prefill.logits!.scalars, Array(recomputed.scalars[(5 * 23)..<(6 * 23)])) < 1e-5)
        }
    }
}

private func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "lengths \(a.count) and \(b.count)")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

private extension Array {
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
