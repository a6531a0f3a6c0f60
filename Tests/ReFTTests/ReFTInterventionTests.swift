import Foundation
import Networks
import ReFT
import Tensors
import TestSupport
import Testing

/// The family's formula in Float64, written out element by element from DESIGN §5 (no tensors).
func referenceOutput(_ intervention: ReFTIntervention, rows h: [[Double]]) -> [[Double]] {
    let (k, d) = (intervention.rank, intervention.width)
    let basis = intervention.basis.scalars.map(Double.init)
    let weight = intervention.weight?.scalars.map(Double.init)
    let bias = intervention.bias.scalars.map(Double.init)
    func act(_ x: Double) -> Double {
        switch intervention.activation {
        case .identity: x
        case .relu: max(0, x)
        case .tanh: Foundation.tanh(x)
        case .sigmoid: 1 / (1 + Foundation.exp(-x))
        case .gelu: 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        }
    }
    return h.map { row in
        var target = [Double](repeating: 0, count: k)
        for j in 0..<k {
            switch intervention.kind {
            case .loreft, .direft, .noreft:
                var z = bias[j]
                for i in 0..<d { z += weight![j * d + i] * row[i] }
                target[j] = act(z)
            case .consreft, .lobireft:
                target[j] = bias[j]
            }
            if intervention.kind == .loreft || intervention.kind == .noreft || intervention.kind == .consreft {
                for i in 0..<d { target[j] -= basis[j * d + i] * row[i] }
            }
        }
        return (0..<d).map { i in row[i] + (0..<k).reduce(0) { $0 + basis[$1 * d + i] * target[$1] } }
    }
}

@Suite("ReFT intervention family")
struct ReFTInterventionTests {
    static let (width, rank, rows) = (7, 3, 5)

    @Test("each member matches its Float64 formula", arguments: ReFTIntervention.Kind.allCases)
    func formula(kind: ReFTIntervention.Kind) throws {
        for activation in [Activation.identity, .gelu, .tanh] {
            let intervention = try ReFTIntervention(kind: kind, width: Self.width, rank: Self.rank, activation: activation, seed: 3)
            let h = Tensor.normal(shape: [Self.rows, Self.width], seed: 4)
            let output = try intervention.apply(base: h, sources: [])
            #expect(output.shape == [Self.rows, Self.width])
            let rowsIn = (0..<Self.rows).map { r in (0..<Self.width).map { Double(h.scalars[r * Self.width + $0]) } }
            let expected = referenceOutput(intervention, rows: rowsIn).flatMap { $0 }
            let worst = zip(output.scalars, expected).map { abs(Double($0) - $1) }.max()!
            #expect(worst < 1e-5, "\(kind) with \(activation): max difference \(worst)")
            // The edit is not the identity (the formula is exercised, not skipped).
            #expect(zip(output.scalars, h.scalars).contains { abs($0 - $1) > 1e-3 })
        }
    }

    @Test("gradients of the input and every parameter match finite differences", arguments: ReFTIntervention.Kind.allCases)
    func gradients(kind: ReFTIntervention.Kind) throws {
        for activation in [Activation.identity, .tanh] {
            let intervention = try ReFTIntervention(kind: kind, width: 6, rank: 3, activation: activation, seed: 5)
            let h = variable([4, 6], seed: 6)
            let parameters = intervention.parameters
            let allTrain = parameters.allSatisfy { $0.requiresGradient }
            #expect(allTrain)
            try expectGradientsMatch(of: [h] + parameters, epsilon: 1e-2) { inputs in
                try intervention.apply(base: inputs[0], sources: [])
            }
        }
    }

    @Test("gradient check with dropout in training (the mask repeated by reseeding)")
    func dropoutGradients() throws {
        let intervention = try ReFTIntervention(kind: .loreft, width: 6, rank: 2, dropout: 0.3, seed: 7)
        intervention.isTraining = true
        let h = variable([4, 6], seed: 8)
        try expectGradientsMatch(of: [h] + intervention.parameters, epsilon: 1e-2) { inputs in
            intervention.reseedDropout(99)
            return try intervention.apply(base: inputs[0], sources: [])
        }
    }

    @Test("parameter counts: 2dk + k with a learned map, dk + k without; names by kind")
    func parameterCounts() throws {
        let (d, k) = (64, 4)
        var printed: [String] = []
        for kind in ReFTIntervention.Kind.allCases {
            let intervention = try ReFTIntervention(kind: kind, width: d, rank: k, seed: 1)
            let expected = kind.hasLearnedMap ? 2 * d * k + k : d * k + k
            #expect(intervention.parameterCount == expected)
            #expect(kind.parameterCount(width: d, rank: k) == expected)
            printed.append("\(kind.displayName): \(intervention.parameterCount) (\(intervention.namedParameters.map(\.name).joined(separator: ", ")))")
        }
        print("ReFT parameters per intervention at d = \(d), k = \(k):\n  " + printed.joined(separator: "\n  "))
        #expect(try ReFTIntervention(kind: .loreft, width: d, rank: k, seed: 1).parameterCount == 2 * 64 * 4 + 4)  // 516
        #expect(try ReFTIntervention(kind: .loreft, width: 6, rank: 2, seed: 1).namedParameters.map(\.name) == ["rotation", "weight", "bias"])
        #expect(try ReFTIntervention(kind: .direft, width: 6, rank: 2, seed: 1).namedParameters.map(\.name) == ["projection", "weight", "bias"])
        #expect(try ReFTIntervention(kind: .noreft, width: 6, rank: 2, seed: 1).namedParameters.map(\.name) == ["projection", "weight", "bias"])
        #expect(try ReFTIntervention(kind: .consreft, width: 6, rank: 2, seed: 1).namedParameters.map(\.name) == ["rotation", "bias"])
        #expect(try ReFTIntervention(kind: .lobireft, width: 6, rank: 2, seed: 1).namedParameters.map(\.name) == ["rotation", "bias"])
    }

    @Test("R stays orthonormal over optimizer steps; the loss falls", arguments: [ReFTIntervention.Kind.loreft, .consreft, .lobireft])
    func rotationStaysOrthonormal(kind: ReFTIntervention.Kind) throws {
        let intervention = try ReFTIntervention(kind: kind, width: 8, rank: 3, seed: 11)
        let rotation = try #require(intervention.rotation)
        #expect(rotation.orthonormalityError < 1e-5)
        let h = Tensor.normal(shape: [16, 8], seed: 12)
        let target = Tensor.normal(shape: [16, 8], seed: 13)
        let optimizer = Adam(parameters: intervention.parameters, learningRate: 0.05)
        func loss() throws -> Tensor { try (intervention.apply(base: h, sources: []) - target).squared().mean() }
        let first = try loss().scalar
        for _ in 0..<40 {
            optimizer.zeroGradients()
            try loss().backward()
            try intervention.willStep()
            optimizer.step()
            try intervention.didStep()
            #expect(rotation.orthonormalityError < 1e-4)
        }
        let last = try loss().scalar
        #expect(last < first * 0.95, "loss \(first) → \(last)")
    }

    @Test("without willStep/didStep, R drifts from orthonormal (so the retraction is what keeps it)")
    func withoutRetractionRDrifts() throws {
        let intervention = try ReFTIntervention(kind: .loreft, width: 8, rank: 3, seed: 11)
        let h = Tensor.normal(shape: [16, 8], seed: 12)
        let target = Tensor.normal(shape: [16, 8], seed: 13)
        let optimizer = Adam(parameters: intervention.parameters, learningRate: 0.05)
        for _ in 0..<10 {
            optimizer.zeroGradients()
            try (intervention.apply(base: h, sources: []) - target).squared().mean().backward()
            optimizer.step()
        }
        #expect(intervention.rotation!.orthonormalityError > 1e-3)
    }

    @Test("DiReFT's and NoReFT's W2 is free: willStep/didStep leave it unchanged")
    func freeProjection() throws {
        let intervention = try ReFTIntervention(kind: .direft, width: 6, rank: 2, seed: 1)
        let before = intervention.projection!.scalars
        try intervention.willStep()
        try intervention.didStep()
        #expect(intervention.projection!.scalars == before)
        #expect(intervention.rotation == nil)
    }

    @Test("dropout: seeded, inverted (kept entries scaled by 1/(1−p)), off in evaluation")
    func dropout() throws {
        let p: Float = 0.25
        let make = { try ReFTIntervention(kind: .loreft, width: 32, rank: 4, dropout: p, seed: 21) }
        let a = try make(), b = try make()
        let h = Tensor.normal(shape: [64, 32], seed: 22)
        let clean = try a.apply(base: h, sources: [])
        // Evaluation (the default) is the formula, with no dropout.
        let expected = referenceOutput(a, rows: (0..<64).map { r in (0..<32).map { Double(h.scalars[r * 32 + $0]) } }).flatMap { $0 }
        #expect(zip(clean.scalars, expected).allSatisfy { abs(Double($0) - $1) < 1e-4 })
        a.isTraining = true
        b.isTraining = true
        let first = try a.apply(base: h, sources: [])
        #expect(first.scalars == (try b.apply(base: h, sources: [])).scalars, "the same seed gives the same masks")
        let second = try a.apply(base: h, sources: [])
        #expect(first.scalars != second.scalars, "each call draws a new mask")
        var zeros = 0
        for (dropped, kept) in zip(first.scalars, clean.scalars) {
            if dropped == 0 { zeros += 1 } else { #expect(abs(dropped - kept / (1 - p)) <= 1e-5 * (1 + abs(kept))) }
        }
        let fraction = Double(zeros) / Double(first.elementCount)
        #expect(abs(fraction - Double(p)) < 0.04, "dropped fraction \(fraction)")
        a.isTraining = false
        #expect(try a.apply(base: h, sources: []).scalars == clean.scalars)
    }

    @Test("bad descriptions and inputs are refused with clear errors")
    func refusals() throws {
        #expect(throws: ReFTError.self) { try ReFTIntervention(kind: .loreft, width: 4, rank: 5, seed: 1) }
        #expect(throws: ReFTError.self) { try ReFTIntervention(kind: .loreft, width: 4, rank: 0, seed: 1) }
        #expect(throws: ReFTError.self) { try ReFTIntervention(kind: .loreft, width: 4, rank: 2, dropout: 1, seed: 1) }
        do {
            _ = try ReFTIntervention(kind: .noreft, width: 4, rank: 9, seed: 1)
        } catch {
            #expect("\(error)".contains("rank between 1 and the site's width 4, got 9"))
        }
        let intervention = try ReFTIntervention(kind: .loreft, width: 4, rank: 2, seed: 1)
        #expect(throws: (any Error).self) { try intervention.apply(base: Tensor.zeros(shape: [3, 5]), sources: []) }
        #expect(throws: (any Error).self) { try intervention.apply(base: Tensor.zeros(shape: [3, 4]), sources: [Tensor.zeros(shape: [3, 4])]) }
    }
}
