import Testing
import TestSupport
import Tensors
@testable import Interventions

/// Each intervention of DESIGN §5 against a direct, loop-by-loop computation of its formula.
@Suite struct InterventionFormulaTests {
    let n = 5, d = 6
    var base: Tensor { Tensor.normal(shape: [n, d], seed: 1) }
    func source(_ seed: UInt64) -> Tensor { Tensor.normal(shape: [n, d], seed: seed) }

    @Test func interchangeCopiesEachVariablesDimensionsFromItsSource() throws {
        let (s1, s2) = (source(2), source(3))
        let edited = try InterchangeIntervention(width: d, dimensions: [[0, 4], [2]]).apply(base: base, sources: [s1, s2])
        for row in 0..<n {
            for column in 0..<d {
                let expected = [0, 4].contains(column) ? s1[row, column] : column == 2 ? s2[row, column] : base[row, column]
                #expect(edited[row, column] == expected)
            }
        }
    }

    @Test func zeroAdditionAndCollect() throws {
        let zeroed = try ZeroIntervention(width: d, dimensions: [1, 3]).apply(base: base, sources: [])
        for row in 0..<n { for column in 0..<d { #expect(zeroed[row, column] == ([1, 3].contains(column) ? 0 : base[row, column])) } }
        let added = try AdditionIntervention(width: d).apply(base: base, sources: [source(2)])
        #expect(close(added.scalars, zip(base.scalars, source(2).scalars).map { $0 + $1 }))
        let collect = CollectIntervention(width: d)
        #expect(try collect.apply(base: base, sources: []).scalars == base.scalars)
        #expect(collect.collected?.scalars == base.scalars)
    }

    /// `h + Rᵀ Σ_v M_v ⊙ (R s_v − R h)` computed with explicit loops in Float64.
    func directRotatedInterchange(rotation: [Float], rank k: Int, masks: [[Float]], base h: Tensor, sources: [Tensor]) -> [Float] {
        var result = [Float](repeating: 0, count: n * d)
        for row in 0..<n {
            var change = [Double](repeating: 0, count: k)
            for i in 0..<k {
                let rotatedBase = (0..<d).reduce(0.0) { $0 + Double(rotation[i * d + $1]) * Double(h[row, $1]) }
                for (mask, source) in zip(masks, sources) {
                    let rotatedSource = (0..<d).reduce(0.0) { $0 + Double(rotation[i * d + $1]) * Double(source[row, $1]) }
                    change[i] += Double(mask[i]) * (rotatedSource - rotatedBase)
                }
            }
            for column in 0..<d {
                result[row * d + column] = Float(Double(h[row, column]) + (0..<k).reduce(0.0) { $0 + Double(rotation[$1 * d + column]) * change[$1] })
            }
        }
        return result
    }

    @Test(arguments: [6, 4])
    func rotatedInterchangeWithAPartitionMatchesItsFormula(rank: Int) throws {
        let intervention = try RotatedSpaceIntervention(width: d, subspaceSizes: [2, 1], rank: rank, seed: 7)
        let sources = [source(2), source(3)]
        let masks: [[Float]] = [(0..<rank).map { $0 < 2 ? 1 : 0 }, (0..<rank).map { $0 == 2 ? 1 : 0 }]
        let edited = try intervention.apply(base: base, sources: sources)
        let expected = directRotatedInterchange(rotation: intervention.rotation.matrix.scalars, rank: rank, masks: masks, base: base, sources: sources)
        #expect(close(edited.scalars, expected, tolerance: 1e-5))
    }

    @Test func fullRotationInterchangeOfEverythingGivesTheSource() throws {
        let intervention = try RotatedSpaceIntervention(width: d, subspaceSizes: [d], seed: 8)
        #expect(close(try intervention.apply(base: base, sources: [source(2)]).scalars, source(2).scalars, tolerance: 1e-5))
    }

    @Test func boundlessMaskMatchesItsFormula() throws {
        let mask = try BoundlessMask(rank: d, initialSize: 3, schedule: TemperatureSchedule(start: 2, end: 0.5, steps: 10))
        mask.boundaries.scalars = [0.7, 3.2]
        mask.didStep()
        let temperature: Float = 2 + (0.5 - 2) * 0.1
        #expect(abs(mask.temperature - temperature) < 1e-6)
        let sigma = { (x: Float) in 1 / (1 + Foundation.exp(-x)) }
        let expectedMask = (0..<d).map { i in sigma((Float(i) - 0.7) / temperature) * sigma((3.2 - Float(i)) / temperature) }
        #expect(close(try mask.masks()[0].scalars, expectedMask))
        let intervention = try RotatedSpaceIntervention(rotation: Rotation(rank: d, dimension: d, seed: 9), mask: mask)
        let expected = directRotatedInterchange(rotation: intervention.rotation.matrix.scalars, rank: d, masks: [expectedMask],
                                                base: base, sources: [source(2)])
        #expect(close(try intervention.apply(base: base, sources: [source(2)]).scalars, expected, tolerance: 1e-5))
    }

    @Test func sigmoidMaskMatchesItsFormula() throws {
        let mask = SigmoidMask(rank: 4, schedule: TemperatureSchedule(start: 1, end: 0.1, steps: 5))
        mask.logits.scalars = [2, -1, 0, 0.5]
        let sigma = { (x: Float) in 1 / (1 + Foundation.exp(-x)) }
        #expect(close(try mask.masks()[0].scalars, [2, -1, 0, 0.5].map(sigma)))
        #expect(mask.selectedCoordinates == [0, 3])
        let intervention = try RotatedSpaceIntervention(rotation: Rotation(rank: 4, dimension: d, seed: 10), mask: mask)
        let expected = directRotatedInterchange(rotation: intervention.rotation.matrix.scalars, rank: 4, masks: [[2, -1, 0, 0.5].map(sigma)],
                                                base: base, sources: [source(2)])
        #expect(close(try intervention.apply(base: base, sources: [source(2)]).scalars, expected, tolerance: 1e-5))
    }

    @Test func gradientsReachTheRotationAndTheLearnedMasks() throws {
        let h = variable([3, 4], seed: 11), s = variable([3, 4], seed: 12)
        let partition = try RotatedSpaceIntervention(width: 4, subspaceSizes: [2], seed: 13)
        try expectGradientsMatch(of: [h, s, partition.rotation.matrix]) { try partition.apply(base: $0[0], sources: [$0[1]]) }
        let boundless = try RotatedSpaceIntervention(rotation: Rotation(rank: 4, dimension: 4, seed: 14),
                                                     mask: BoundlessMask(rank: 4, initialSize: 2, schedule: TemperatureSchedule(start: 1, end: 1, steps: 1)))
        try expectGradientsMatch(of: boundless.parameters) { _ in try boundless.apply(base: h, sources: [s]) }
        let sigmoid = try RotatedSpaceIntervention(rotation: Rotation(rank: 3, dimension: 4, seed: 15),
                                                   mask: SigmoidMask(rank: 3, schedule: TemperatureSchedule(start: 1, end: 1, steps: 1)))
        try expectGradientsMatch(of: sigmoid.parameters) { _ in try sigmoid.apply(base: h, sources: [s]) }
    }

    @Test func didStepRetractsTheRotationAndAnneals() throws {
        let mask = SigmoidMask(rank: 4, schedule: TemperatureSchedule(start: 1, end: 0.1, steps: 2))
        let intervention = try RotatedSpaceIntervention(rotation: Rotation(rank: 4, dimension: 4, seed: 16), mask: mask)
        intervention.rotation.matrix.scalars[0] += 0.3
        try intervention.didStep()
        #expect(intervention.rotation.orthonormalityError < 1e-5)
        #expect(abs(mask.temperature - 0.55) < 1e-6)
    }

    @Test func untrainedRotationHasNoParameters() throws {
        let intervention = try RotatedSpaceIntervention(rotation: Rotation(rank: 4, dimension: 4, seed: 17),
                                                        mask: SubspacePartition(sizes: [2], rank: 4), trainsRotation: false)
        #expect(intervention.parameters.isEmpty)
        #expect(!intervention.rotation.matrix.requiresGradient)
    }
}

import Foundation
