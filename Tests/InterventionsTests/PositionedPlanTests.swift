import Testing
import TestSupport
import Tensors
@testable import Interventions

/// Plans at token positions: gather the listed rows of `[batch, seq, d]`, intervene on `[n, d]`,
/// scatter back; checked against direct loops in Float64.
@Suite struct PositionedPlanTests {
    let batch = 3, seq = 5, d = 4
    let site = Site(layer: 1, component: .blockOutput)
    /// Different positions per example (example 1 has none), paired with different source positions.
    let positions = [[0, 3], [], [4, 1, 2]]
    let sourcePositions = [[[1, 1], [], [0, 5, 2]], [[2, 0], [], [3, 3, 3]]]

    var base: Tensor { Tensor.normal(shape: [batch, seq, d], seed: 1) }
    /// Sources are longer than the base (6 positions), as prompts of other lengths are.
    func source(_ seed: UInt64) -> Tensor { Tensor.normal(shape: [batch, 6, d], seed: seed) }

    /// The base with, at each listed position, `edit(example, k, baseRow)` (k: the position's index in the list).
    func direct(_ base: Tensor, edit: (Int, Int, [Double]) -> [Double]) -> [Float] {
        var result = base.scalars
        for (b, list) in positions.enumerated() {
            for (k, p) in list.enumerated() {
                let row = (0..<d).map { Double(base[b, p, $0]) }
                for (i, value) in edit(b, k, row).enumerated() { result[(b * seq + p) * d + i] = Float(value) }
            }
        }
        return result
    }

    @Test func interchangeAtPositionsMatchesADirectLoop() throws {
        let (base, s0) = (self.base, source(2))
        let intervention = try InterchangeIntervention(width: d, dimensions: [[0, 2]])
        let plan = InterventionPlan(site: site, intervention: intervention, sources: [s0],
                                    positions: positions, sourcePositions: [sourcePositions[0]])
        let edited = try plan.apply(at: site, to: base)
        let expected = direct(base) { b, k, row in
            let read = sourcePositions[0][b][k]
            return (0..<d).map { [0, 2].contains($0) ? Double(s0[b, read, $0]) : row[$0] }
        }
        #expect(edited.shape == [batch, seq, d])
        #expect(edited.scalars == expected)
        // Without source positions the base's positions are read.
        let same = try InterventionPlan(site: site, intervention: intervention, sources: [s0], positions: positions)
            .apply(at: site, to: base)
        #expect(same.scalars == direct(base) { b, k, row in
            (0..<d).map { [0, 2].contains($0) ? Double(s0[b, positions[b][k], $0]) : row[$0] }
        })
    }

    /// `h + Rᵀ Σ_v M_v ⊙ (R s_v − R h)` for one row, in Float64.
    static func rotatedInterchange(_ h: [Double], sources: [[Double]], rotation: Tensor, masks: [[Double]]) -> [Double] {
        let (k, d) = (rotation.shape[0], rotation.shape[1])
        let rotate = { (x: [Double], i: Int) in (0..<d).reduce(0.0) { $0 + Double(rotation[i, $1]) * x[$1] } }
        let change = (0..<k).map { i in zip(sources, masks).reduce(0.0) { $0 + $1.1[i] * (rotate($1.0, i) - rotate(h, i)) } }
        return (0..<d).map { j in h[j] + (0..<k).reduce(0.0) { $0 + Double(rotation[$1, j]) * change[$1] } }
    }

    @Test func rotatedInterchangeAtPositionsMatchesADirectLoop() throws {
        let (base, s0, s1) = (self.base, source(3), source(4))
        // Two variables owning rotated coordinates {0} and {1, 2} of a rank-3 rotation of d = 4.
        let intervention = try RotatedSpaceIntervention(width: d, subspaceSizes: [1, 2], rank: 3, seed: 5)
        let plan = InterventionPlan(site: site, intervention: intervention, sources: [s0, s1],
                                    positions: positions, sourcePositions: sourcePositions)
        let edited = try plan.apply(at: site, to: base)
        let masks: [[Double]] = [[1, 0, 0], [0, 1, 1]]
        let expected = direct(base) { b, k, row in
            let read = [s0, s1].enumerated().map { v, source in (0..<d).map { Double(source[b, sourcePositions[v][b][k], $0]) } }
            return Self.rotatedInterchange(row, sources: read, rotation: intervention.rotation.matrix, masks: masks)
        }
        #expect(close(edited.scalars, expected, tolerance: 1e-5))
        // Rows not listed are untouched, bit for bit.
        for (b, list) in positions.enumerated() {
            for p in 0..<seq where !list.contains(p) {
                #expect((0..<d).allSatisfy { edited[b, p, $0] == base[b, p, $0] })
            }
        }
    }

    @Test func gradientsReachTheRotationTheBaseAndTheSources() throws {
        let base = variable([batch, seq, d], seed: 6), s0 = variable([batch, 6, d], seed: 7), s1 = variable([batch, 6, d], seed: 8)
        let intervention = try RotatedSpaceIntervention(width: d, subspaceSizes: [1, 2], rank: 3, seed: 9)
        let plan = InterventionPlan(site: site, intervention: intervention, sources: [s0, s1],
                                    positions: positions, sourcePositions: sourcePositions)
        try expectGradientsMatch(of: [intervention.rotation.matrix, base, s0, s1], tolerance: 1e-3) { _ in
            try plan.apply(at: site, to: base)
        }
        // Source rows never read get no gradient; base rows overwritten pass none through the copy but
        // do through −R h, so a listed base row has a gradient different from the seed's.
        s0.zeroGradient()
        try plan.apply(at: site, to: base).sum().backward()
        let unread = (0..<6).filter { p in !sourcePositions[0][0].contains(p) }
        #expect(unread.allSatisfy { p in (0..<d).allSatisfy { try! #require(s0.gradient)[0, p, $0] == 0 } })
    }

    @Test func unpositionedEntriesActOnEveryRowOfASequence() throws {
        let (base, s0) = (self.base, try source(10).slice(alongAxis: 1, 0..<5))
        let intervention = try InterchangeIntervention(width: d, dimensions: [[1]])
        let edited = try InterventionPlan(site: site, intervention: intervention, sources: [s0]).apply(at: site, to: base)
        #expect(edited.shape == base.shape)
        #expect(edited.scalars == base.scalars.indices.map { $0 % d == 1 ? s0.scalars[$0] : base.scalars[$0] })
    }

    @Test func badPositionsAreErrorsNamingSiteExamplePositionAndRange() throws {
        let intervention = try InterchangeIntervention(width: d, dimensions: [[0]])
        func error(positions: [[Int]], sourcePositions: [[[Int]]]? = nil, base: Tensor? = nil, source: Tensor? = nil) throws -> InterventionError {
            let plan = InterventionPlan(site: site, intervention: intervention, sources: [source ?? self.source(11)],
                                        positions: positions, sourcePositions: sourcePositions)
            return try #require(throws: InterventionError.self) { try plan.apply(at: site, to: base ?? self.base) }
        }
        let outside = try error(positions: [[0], [5], []])
        #expect(outside == .positionOutOfRange(site: site, example: 1, source: nil, position: 5, validRange: 0..<5))
        #expect(outside.description == "site layer.1.block_output: position 5 of example 1 is outside the valid range 0..<5")
        let negative = try error(positions: [[-1], [], []])
        #expect(negative.description.contains("position -1 of example 0") && negative.description.contains("0..<5"))
        let sourceOutside = try error(positions: [[0], [1], []], sourcePositions: [[[0], [6], []]])
        #expect(sourceOutside.description == "site layer.1.block_output: position 6 of source 0's example 1 is outside the valid range 0..<6")
        let wrongBatch = try error(positions: [[0], [1]])
        #expect(wrongBatch.description.contains("layer.1.block_output") && wrongBatch.description.contains("2 examples")
                && wrongBatch.description.contains("batch has 3"))
        let wrongSourceBatch = try error(positions: [[0], [1], [2]], source: Tensor.zeros(shape: [2, 6, d]))
        #expect(wrongSourceBatch.description.contains("[2, 6, 4]") && wrongSourceBatch.description.contains("layer.1.block_output"))
        let unpaired = try error(positions: [[0], [1], [2]], sourcePositions: [[[0], [1, 2], [2]]])
        #expect(unpaired.description.contains("example 1 reads 2 positions of source 0 but writes 1"))
        let repeated = try error(positions: [[0, 0], [], []])
        #expect(repeated.description.contains("example 0 lists a position twice"))
        let flat = try error(positions: [[0], [], []], base: Tensor.zeros(shape: [3, d]))
        #expect(flat.description.contains("[batch, seq, width]") && flat.description.contains("[3, 4]"))
        let width = try error(positions: [[0], [], []], base: Tensor.zeros(shape: [3, 5, 7]))
        #expect(width == .widthMismatch(site: site, siteWidth: 7, interventionWidth: d))
    }

    @Test func aPaddingPositionOfTheBaseIsAnError() throws {
        let intervention = try InterchangeIntervention(width: d, dimensions: [[0]])
        let plan = InterventionPlan(site: site, intervention: intervention, sources: [source(12)], positions: [[2], [0], [4]])
        // Example 1 is left-padded by 2: its real tokens are positions 2..<5.
        let padded = try #require(throws: InterventionError.self) { try plan.apply(at: site, to: base, firstValidPosition: [0, 2, 1]) }
        #expect(padded.description == "site layer.1.block_output: position 0 of example 1 is outside the valid range 2..<5")
        let count = try #require(throws: InterventionError.self) { try plan.apply(at: site, to: base, firstValidPosition: [0, 0]) }
        #expect(count.description.contains("2 examples") && count.description.contains("batch has 3"))
        #expect(try plan.apply(at: site, to: base, firstValidPosition: [0, 0, 1]).scalars == plan.apply(at: site, to: base).scalars)
    }

    @Test func embeddingSiteParsesPrintsAndSortsFirst() throws {
        #expect(try Site(parsing: "embedding") == .embedding)
        #expect(Site.embedding.description == "embedding" && Site.embedding.isEmbedding)
        #expect(!Site(layer: 0).isEmbedding && !Site(layer: 0, component: .blockInput).isEmbedding)
        let sites = [Site(layer: 0, component: .mlpOutput), .embedding, Site(layer: 0, component: .blockInput)]
        #expect(sites.sorted() == [.embedding, Site(layer: 0, component: .blockInput), Site(layer: 0, component: .mlpOutput)])
        let encoded = try JSONEncoder().encode([Site.embedding, Site(layer: 2, component: .attentionOutput)])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["embedding","layer.2.attention_output"]"#)
        #expect(try JSONDecoder().decode([Site].self, from: encoded) == [.embedding, Site(layer: 2, component: .attentionOutput)])
        for bad in ["embeddings", "embedding.0", "Embedding"] {
            let error = try #require(throws: InterventionError.self) { try Site(parsing: bad) }
            #expect(error.description.contains("'\(bad)'") && error.description.contains("embedding"))
        }
    }
}

/// Interventions are modules: their learned tensors are their parameters, named by path.
@Suite struct InterventionModuleTests {
    @Test func parametersAreTheLearnedTensorsByName() throws {
        let partition = try RotatedSpaceIntervention(width: 4, subspaceSizes: [2], seed: 1)
        #expect(partition.namedParameters.map(\.name) == ["rotation.matrix"])
        #expect(partition.parameters.first === partition.rotation.matrix)
        let boundless = try RotatedSpaceIntervention(rotation: Rotation(rank: 3, dimension: 4, seed: 2),
                                                     mask: BoundlessMask(rank: 3, initialSize: 1, schedule: TemperatureSchedule(steps: 1)))
        #expect(boundless.namedParameters.map(\.name) == ["rotation.matrix", "mask.boundaries"])
        let sigmoid = try RotatedSpaceIntervention(rotation: Rotation(rank: 3, dimension: 4, seed: 3),
                                                   mask: SigmoidMask(rank: 3, schedule: TemperatureSchedule(steps: 1)), trainsRotation: false)
        #expect(sigmoid.namedParameters.map(\.name) == ["mask.logits"])
        #expect(try InterchangeIntervention(width: 4, dimensions: [[0]]).namedParameters.isEmpty)
        #expect(try ZeroIntervention(width: 4, dimensions: [0]).namedParameters.isEmpty)
        #expect(AdditionIntervention(width: 4).namedParameters.isEmpty)
        let collect = CollectIntervention(width: 4)
        _ = try collect.apply(base: Tensor.zeros(shape: [1, 4]), sources: [])
        #expect(collect.namedParameters.isEmpty)
    }

    @Test func freezingAndLoadingAnIntervention() throws {
        let trained = try RotatedSpaceIntervention(rotation: Rotation(rank: 3, dimension: 4, seed: 4),
                                                   mask: BoundlessMask(rank: 3, initialSize: 2, schedule: TemperatureSchedule(steps: 1)))
        let fresh = try RotatedSpaceIntervention(rotation: Rotation(rank: 3, dimension: 4, seed: 5),
                                                 mask: BoundlessMask(rank: 3, initialSize: 1, schedule: TemperatureSchedule(steps: 1)))
        try fresh.loadParameters(Dictionary(uniqueKeysWithValues: trained.namedParameters.map { ($0.name, $0.tensor.detached()) }))
        #expect(fresh.rotation.matrix.scalars == trained.rotation.matrix.scalars)
        #expect((fresh.mask as! BoundlessMask).boundaries.scalars == [-0.5, 1.5])
        fresh.freeze()
        #expect(fresh.trainableParameters().isEmpty && fresh.namedParameters.count == 2)
        let h = Tensor.normal(shape: [2, 4], seed: 6)
        #expect(!(try fresh.apply(base: h, sources: [h])).requiresGradient)
    }
}

import Foundation
