import Interventions
import Tensors
import Testing
@testable import Transformers

@Suite("Transformer sites and intervention plans")
struct SiteTests {
    @Test("the sites are listed in the order a pass reaches them")
    func siteList() throws {
        let model = try Transformer(configuration: TinyModels.llama(layers: 2), seed: 1)
        #expect(model.sites.map(\.description) == [
            "embedding",
            "layer.0.block_input", "layer.0.attention_output", "layer.0.mlp_output", "layer.0.block_output",
            "layer.1.block_input", "layer.1.attention_output", "layer.1.mlp_output", "layer.1.block_output",
        ])
    }

    @Test("a site the model lacks is an error naming it and the valid sites")
    func unknownSite() throws {
        let model = try Transformer(configuration: TinyModels.llama(layers: 2), seed: 1)
        let tokens = try TokenBatch([[1, 2, 3]])
        let bad = Site(layer: 5, component: .blockOutput)
        #expect(throws: InterventionError.unknownSite(bad, validSites: model.sites)) {
            _ = try model(tokens, collecting: [bad])
        }
        var plan = InterventionPlan()
        plan.intervene(at: Site(layer: 2), with: try ZeroIntervention(width: 16, dimensions: [0]), sources: [], positions: [[0]])
        #expect { _ = try model(tokens, plan: plan) } throws: { "\($0)".contains("layer.2") && "\($0)".contains("layer.1.block_output") }
    }

    @Test("a position outside the prompt is an error naming the site, the position and the range")
    func positionOutOfRange() throws {
        let model = try Transformer(configuration: TinyModels.gpt2(), seed: 1)
        var plan = InterventionPlan()
        plan.intervene(at: Site(layer: 1, component: .mlpOutput), with: try ZeroIntervention(width: 16, dimensions: [0, 1]),
                       sources: [], positions: [[0], [7]])
        #expect { _ = try model(try TokenBatch([[1, 2, 3], [4, 5, 6]]), plan: plan) } throws: { error in
            let text = "\(error)"
            return text.contains("layer.1.mlp_output") && text.contains("7") && text.contains("0..<3")
        }
        #expect(throws: TransformerError.positionOutOfRange(what: "logits", example: 0, position: 3, length: 3)) {
            _ = try model(try TokenBatch([[1, 2, 3]]), logits: .positions([[3]]))
        }
        #expect { _ = try model(try TokenBatch([[1, 99]])) } throws: { "\($0)".contains("99") && "\($0)".contains("0..<23") }
    }

    @Test("collected sites chain: block_input of layer i+1 is block_output of layer i; embedding is block_input of layer 0")
    func collectedSitesChain() throws {
        for model in try TinyModels.all() {
            let output = try model(try TokenBatch([[1, 2, 3, 4]]), collecting: model.sites, logits: .none)
            #expect(output.collected.count == model.sites.count)
            #expect(output.collected[.embedding]!.scalars == output.collected[Site(layer: 0, component: .blockInput)]!.scalars)
            #expect(output.collected[Site(layer: 0, component: .blockOutput)]!.scalars
                    == output.collected[Site(layer: 1, component: .blockInput)]!.scalars)
            #expect(output.logits == nil)
        }
    }

    @Test("an interchange at layer.1.block_output changes that position and later ones, never earlier ones (causality)")
    func causality() throws {
        let models = [try Transformer(configuration: TinyModels.llama(layers: 3), seed: 11, scale: 0.3),
                      try Transformer(configuration: TinyModels.gpt2(layers: 3), seed: 12, scale: 0.3)]
        for model in models {
            let site = Site(layer: 1, component: .blockOutput)
            let base = try TokenBatch([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]])
            let source = try TokenBatch([[13, 14, 15, 16, 17, 18], [19, 20, 21, 22, 1, 2]])
            let sourceStates = try model(source, collecting: [site], logits: .none).collected[site]!
            var plan = InterventionPlan()
            plan.intervene(at: site, with: try InterchangeIntervention(width: 16, dimensions: [Array(0..<16)]),
                           sources: [sourceStates], positions: [[2], [4]], sourcePositions: [[[3], [1]]])
            let plain = try model(base, collecting: [site]).logits!
            let intervened = try model(base, plan: plan, collecting: [site])
            let vocabulary = model.configuration.vocabularySize
            for (example, position, sourcePosition) in [(0, 2, 3), (1, 4, 1)] {
                // The site now holds the source's row at the intervened position.
                let written = intervened.collected[site]!.scalars[((example * 6 + position) * 16)..<((example * 6 + position + 1) * 16)]
                let read = sourceStates.scalars[((example * 6 + sourcePosition) * 16)..<((example * 6 + sourcePosition + 1) * 16)]
                #expect(Array(written) == Array(read))
                for t in 0..<6 {
                    let range = ((example * 6 + t) * vocabulary)..<((example * 6 + t + 1) * vocabulary)
                    let same = plain.scalars[range] == intervened.logits!.scalars[range]
                    #expect(same == (t < position), "\(model.configuration.family) example \(example) position \(t)")
                }
            }
        }
    }
}
