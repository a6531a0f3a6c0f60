import Interventions
import ReFT
import Tensors
import TestSupport
import Testing

@Suite("Intervention sequences (several interventions at one site)")
struct InterventionSequenceTests {
    @Test("members act in order on their rows; gradients reach the rows and every member's parameters")
    func orderAndGradients() throws {
        let a = try ReFTIntervention(kind: .loreft, width: 5, rank: 2, activation: .tanh, seed: 1)
        let b = try ReFTIntervention(kind: .noreft, width: 5, rank: 2, seed: 2)
        let c = try ReFTIntervention(kind: .lobireft, width: 5, rank: 1, seed: 3)
        let sequence = try InterventionSequence(members: [a, b, c], rows: [[0, 2], [2, 3], nil])
        #expect(sequence.namedParameters.map(\.name).prefix(3) == ["members.0.rotation", "members.0.weight", "members.0.bias"])
        #expect(sequence.parameterCount == a.parameterCount + b.parameterCount + c.parameterCount)
        let h = variable([4, 5], seed: 4)
        let output = try sequence.apply(base: h, sources: [])
        func row(_ t: Tensor, _ i: Int) throws -> Tensor { try Tensor(shape: [1, 5], scalars: Array(t.scalars[(i * 5)..<((i + 1) * 5)])) }
        let expected: [Tensor] = [
            try c.apply(base: a.apply(base: row(h, 0), sources: []), sources: []),
            try c.apply(base: row(h, 1), sources: []),
            try c.apply(base: b.apply(base: a.apply(base: row(h, 2), sources: []), sources: []), sources: []),
            try c.apply(base: b.apply(base: row(h, 3), sources: []), sources: []),
        ]
        for i in 0..<4 { #expect(close(try row(output, i).scalars, expected[i].scalars, tolerance: 1e-5), "row \(i)") }
        try expectGradientsMatch(of: [h] + sequence.parameters) { inputs in try sequence.apply(base: inputs[0], sources: []) }
    }

    @Test("willStep and didStep reach every member")
    func steps() throws {
        let a = try ReFTIntervention(kind: .loreft, width: 6, rank: 2, seed: 1)
        let b = try ReFTIntervention(kind: .consreft, width: 6, rank: 3, seed: 2)
        let sequence = try InterventionSequence(members: [a, b], rows: [nil, nil])
        for member in [a, b] { member.rotation!.matrix.scalars = member.rotation!.matrix.scalars.map { $0 * 1.1 } }
        #expect(a.rotation!.orthonormalityError > 0.1 && b.rotation!.orthonormalityError > 0.1)
        try sequence.willStep()
        try sequence.didStep()
        #expect(a.rotation!.orthonormalityError < 1e-5 && b.rotation!.orthonormalityError < 1e-5)
    }

    @Test("refusals: no member, other widths, sources, repeated rows, rows beyond the gathered ones")
    func refusals() throws {
        let a = try ReFTIntervention(kind: .loreft, width: 6, rank: 2, seed: 1)
        let narrow = try ReFTIntervention(kind: .loreft, width: 5, rank: 2, seed: 1)
        let reading = try RotatedSpaceIntervention(width: 6, subspaceSizes: [2], seed: 1)
        #expect(throws: ReFTError.self) { try InterventionSequence(members: [], rows: []) }
        #expect(throws: ReFTError.self) { try InterventionSequence(members: [a, narrow], rows: [nil, nil]) }
        #expect(throws: ReFTError.self) { try InterventionSequence(members: [a, reading], rows: [nil, nil]) }
        #expect(throws: ReFTError.self) { try InterventionSequence(members: [a], rows: [[1, 1]]) }
        #expect(throws: ReFTError.self) { try InterventionSequence(members: [a], rows: [nil, nil]) }
        let sequence = try InterventionSequence(members: [a], rows: [[0, 7]])
        #expect(throws: ReFTError.self) { try sequence.apply(base: Tensor.zeros(shape: [3, 6]), sources: []) }
    }
}
