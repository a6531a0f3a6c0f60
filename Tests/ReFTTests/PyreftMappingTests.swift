import Foundation
import Networks
import ReFT
import Tensors
import Testing

/// pyreft 0.1.0's interventions, run by scripts/make_reft_fixture.py, mapped onto Interchange's
/// tensors as docs/adapter-format.md says ("Mapping from pyreft 0.1.0"): the outputs must agree.
@Suite("pyreft 0.1.0 tensor mapping")
struct PyreftMappingTests {
    static func fixture() throws -> SafetensorsArchive {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/reft/pyreft-interventions.safetensors")
        return try SafetensorsArchive(contentsOf: url)
    }

    /// `[r, c]` → `[c, r]`.
    static func transposed(_ t: Tensor) throws -> Tensor {
        let (r, c) = (t.shape[0], t.shape[1])
        return try Tensor(shape: [c, r], scalars: (0..<(r * c)).map { t.scalars[($0 % r) * c + $0 / r] })
    }

    @Test("each pyreft intervention's output is reproduced from its mapped tensors", arguments: [
        ("loreft", ReFTIntervention.Kind.loreft, Activation.identity),
        ("loreft_tanh", .loreft, .tanh),
        ("direft", .direft, .identity),
        ("nodireft", .direft, .identity),
        ("noreft", .noreft, .identity),
        ("consreft", .consreft, .identity),
        ("lobireft", .lobireft, .identity),
    ])
    func mapping(name: String, kind: ReFTIntervention.Kind, activation: Activation) throws {
        let archive = try Self.fixture()
        func tensor(_ suffix: String) throws -> Tensor { try archive.tensor("\(name).\(suffix)") }
        var values: [String: Tensor] = [:]
        switch name {
        case "loreft", "loreft_tanh":
            values = ["rotation": try Self.transposed(tensor("rotate_layer")),
                      "weight": try tensor("learned_source.weight"), "bias": try tensor("learned_source.bias")]
        case "direft":
            values = ["projection": try Self.transposed(tensor("rotate_layer")),
                      "weight": try tensor("learned_source.weight"), "bias": try tensor("learned_source.bias")]
        case "nodireft", "noreft":
            values = ["projection": try tensor("proj_layer.weight"),
                      "weight": try tensor("learned_source.weight"), "bias": try tensor("learned_source.bias")]
        default:
            values = ["rotation": try Self.transposed(tensor("rotate_layer")), "bias": try tensor("learned_source")]
        }
        let intervention = try ReFTIntervention(kind: kind, width: 8, rank: 3, activation: activation, seed: 0)
        try intervention.loadParameters(values)
        if let rotation = intervention.rotation { #expect(rotation.orthonormalityError < 1e-5) }
        let output = try intervention.apply(base: tensor("h"), sources: [])
        let expected = try tensor("output")
        let worst = zip(output.scalars, expected.scalars).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-5, "\(name): max difference \(worst)")
        // The intervention does change the rows (the comparison is not of two identities).
        #expect(zip(expected.scalars, try tensor("h").scalars).contains { abs($0 - $1) > 1e-2 })
    }
}
