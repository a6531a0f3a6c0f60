import Foundation
import Networks
import ReFT
import Tensors
import Testing
import Transformers

/// Adapters trained-shape by pyreft 0.1.0 on the random checkpoints, saved with `reft_model.save`, and
/// converted by scripts/import_pyreft_adapter.py (fixtures from scripts/fixtures/pyreft_fixtures.py):
/// loaded here and run on the same prompt, they must give pyreft's intervened logits.
@Suite("pyreft 0.1.0 adapters, imported")
struct PyreftImportTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/reft/pyreft")

    struct Case: Decodable {
        let model: String
        let pyreftClass: String
        let positions: String
        let activation: String
        let promptLength: Int
        let inputIds: [Int]
        let pyreftLocations: [[Int]]
        enum CodingKeys: String, CodingKey {
            case model, positions, activation
            case pyreftClass = "pyreft_class", promptLength = "prompt_length", inputIds = "input_ids", pyreftLocations = "pyreft_locations"
        }
    }

    static func cases() throws -> [String: Case] {
        try JSONDecoder().decode([String: Case].self, from: Data(contentsOf: folder.appendingPathComponent("cases.json")))
    }

    static func model(_ name: String) throws -> Transformer {
        try Transformer(directory: folder.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("models").appendingPathComponent(name))
    }

    @Test("the imported adapter gives pyreft's intervened logits at every position (1e-4)", arguments: [
        ("loreft", ReFTIntervention.Kind.loreft), ("direft", .direft), ("noreft", .noreft), ("consreft", .consreft),
        ("lobireft", .lobireft), ("nodireft", .direft), ("loreft_tanh_llama", .loreft),
    ])
    func importedLogits(name: String, kind: ReFTIntervention.Kind) throws {
        let all = try Self.cases()
        let fixture = try #require(all[name], "cases.json lacks \(name)")
        let model = try Self.model(fixture.model)
        let adapter = try ReFTAdapter.load(from: Self.folder.appendingPathComponent("\(name)/adapter"), for: model)
        #expect(adapter.spec.kind == kind)
        #expect(adapter.spec.positions.description == fixture.positions)
        #expect(adapter.spec.activation.rawValue == fixture.activation)
        // pyreft's locations (one list per intervention) are the positions our rule gives for this prompt length.
        let (prefix, suffix) = try adapter.spec.positions.positions(promptLength: fixture.promptLength)
        let ours = Set(prefix + suffix)
        #expect(Set(fixture.pyreftLocations.flatMap { $0 }) == ours)

        let tokens = try TokenBatch([fixture.inputIds])
        let logits = try Tensor.withoutGradients {
            try model(tokens, plan: adapter.plan(tokens: tokens, promptLengths: [fixture.promptLength]), logits: .all).logits!
        }
        let reference = try SafetensorsArchive(contentsOf: Self.folder.appendingPathComponent("reference.safetensors"))
        let expected = try reference.tensor("\(name).logits")
        let base = try reference.tensor("\(name).base_logits")
        #expect(logits.scalars.count == expected.scalars.count)
        let worst = zip(logits.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "\(name): max |ours − pyreft| = \(worst)")
        // The comparison is not of two unintervened runs: pyreft's adapter moved the logits well beyond the tolerance.
        let change = zip(base.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(change > 0.1, "\(name): the adapter changes the logits by only \(change)")
        // And our model without the adapter gives pyreft's base logits (so the difference is the adapter's).
        let plain = try Tensor.withoutGradients { try model(tokens, logits: .all).logits! }
        let baseWorst = zip(plain.scalars, base.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(baseWorst < 1e-4)
    }

    @Test("separate prefix and suffix weights land on their parts; shared weights on one")
    func partsFollowPyreftsLayerList() throws {
        let model = try Self.model("gpt2")
        let separate = try ReFTAdapter.load(from: Self.folder.appendingPathComponent("loreft/adapter"), for: model)
        #expect(!separate.spec.shareWeights)
        let separateParts: [String] = separate.interventions.map { entry in "\(entry.layer).\(entry.part.rawValue)" }.sorted()
        #expect(separateParts == ["0.prefix", "0.suffix", "2.prefix", "2.suffix"])
        let count: Int = separate.parameters.reduce(0) { total, parameter in total + parameter.scalars.count }
        #expect(count == 4 * (2 * 48 * 4 + 4))
        let shared = try ReFTAdapter.load(from: Self.folder.appendingPathComponent("direft/adapter"), for: model)
        #expect(shared.spec.shareWeights)
        let sharedParts: [String] = shared.interventions.map { entry in "\(entry.layer).\(entry.part.rawValue)" }.sorted()
        #expect(sharedParts == ["1.all", "2.all"])
    }

    @Test("an imported adapter is refused for another base model, naming what differs")
    func otherBaseModelRefused() throws {
        let llama = try Self.model("llama-gqa")
        #expect {
            _ = try ReFTAdapter.load(from: Self.folder.appendingPathComponent("loreft/adapter"), for: llama)
        } throws: { error in
            let text = "\(error)"
            return text.contains("base_model.config_hash") && text.contains("family gpt2 vs llama")
        }
    }
}
