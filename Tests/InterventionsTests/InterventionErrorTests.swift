import Testing
import Tensors
@testable import Interventions

/// Bad sites, subspaces and sources are thrown errors that say what was expected.
@Suite struct InterventionErrorTests {
    @Test func siteNamesParseAndPrint() throws {
        #expect(try Site(parsing: "layer.2") == Site(layer: 2))
        #expect(try Site(parsing: "layer.0.block_output") == Site(layer: 0, component: .blockOutput))
        #expect(Site(layer: 3, component: .mlpOutput).description == "layer.3.mlp_output")
        for bad in ["layer", "layer.x", "layers.1", "layer.-1", "layer.1.attention", "layer.1.block_output.extra"] {
            let error = try #require(throws: InterventionError.self) { try Site(parsing: bad) }
            #expect(error.description.contains("'\(bad)'") && error.description.contains("layer.<i>"))
        }
    }

    @Test func subspacesThatDoNotFitAreRejected() throws {
        let tooBig = try #require(throws: InterventionError.self) { try RotatedSpaceIntervention(width: 16, subspaceSizes: [8, 9], seed: 1) }
        #expect(tooBig.description.contains("[8, 9]") && tooBig.description.contains("16"))
        let rank = try #require(throws: InterventionError.self) { try RotatedSpaceIntervention(width: 4, subspaceSizes: [1], rank: 5, seed: 1) }
        #expect(rank.description.contains("rank 5"))
        let outside = try #require(throws: InterventionError.self) { try InterchangeIntervention(width: 4, dimensions: [[4]]) }
        #expect(outside.description.contains("dimension 4 is outside 0..<4"))
        let overlap = try #require(throws: InterventionError.self) { try InterchangeIntervention(width: 4, dimensions: [[0, 1], [1]]) }
        #expect(overlap.description.contains("overlap"))
        #expect(throws: InterventionError.self) {
            try RotatedSpaceIntervention(rotation: Rotation(rank: 3, dimension: 4, seed: 1), mask: SubspacePartition(sizes: [1], rank: 4))
        }
    }

    @Test func wrongSourcesAreRejected() throws {
        let intervention = try RotatedSpaceIntervention(width: 4, subspaceSizes: [2, 2], seed: 1)
        let base = Tensor.zeros(shape: [3, 4])
        let count = try #require(throws: InterventionError.self) { try intervention.apply(base: base, sources: [base]) }
        #expect(count.description.contains("takes 2 source representations") && count.description.contains("got 1"))
        let shape = try #require(throws: InterventionError.self) {
            try intervention.apply(base: base, sources: [base, Tensor.zeros(shape: [2, 4])])
        }
        #expect(shape.description.contains("[2, 4]") && shape.description.contains("[3, 4]"))
    }

    @Test func planChecksTheSiteWidth() throws {
        let plan = InterventionPlan(site: Site(layer: 1), intervention: AdditionIntervention(width: 8), sources: [Tensor.zeros(shape: [2, 4])])
        let error = try #require(throws: InterventionError.self) { try plan.apply(at: Site(layer: 1), to: Tensor.zeros(shape: [2, 4])) }
        #expect(error.description.contains("layer.1") && error.description.contains("width 4") && error.description.contains("width 8"))
        #expect(try plan.apply(at: Site(layer: 0), to: Tensor.ones(shape: [2, 4])).scalars == [Float](repeating: 1, count: 8))
    }
}
