import Foundation
import Interventions
import Networks
@testable import ReFT
import Tensors
import TestSupport
import Testing
import Transformers

@Suite("ReFT adapter files")
struct AdapterFileTests {
    /// A fresh folder under the temporary directory, removed by the caller.
    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("reft-adapter-\(UUID().uuidString)")
    }

    /// An adapter whose parameters were moved off their initial values (so loading cannot pass by
    /// rebuilding the same seed).
    static func trainedAdapter(_ spec: ReFTSpec, model configuration: TransformerConfiguration, seed: UInt64 = 3) throws -> ReFTAdapter {
        let adapter = try ReFTAdapter(spec: spec, model: configuration, seed: seed)
        for (index, parameter) in adapter.parameters.enumerated() {
            parameter.scalars = zip(parameter.scalars, Tensor.normal(shape: parameter.shape, standardDeviation: 0.1, seed: UInt64(100 + index)).scalars).map(+)
        }
        try adapter.didStep()  // back onto orthonormal rows
        return adapter
    }

    static func logits(_ model: Transformer, _ adapter: ReFTAdapter) throws -> [Float] {
        let prompts = [BaseModels.prompt(2), BaseModels.prompt(6, salt: 1)]
        let tokens = try TokenBatch.leftPadded(prompts)
        return try model(tokens, plan: adapter.plan(tokens: tokens, promptLengths: prompts.map(\.count))).logits!.scalars
    }

    @Test("save then load gives bit-identical parameters and outputs, for every kind",
          arguments: ReFTIntervention.Kind.allCases)
    func roundTrip(kind: ReFTIntervention.Kind) throws {
        let configuration = try BaseModels.llama(layers: 3)
        let model = try Transformer(configuration: configuration, seed: 1, scale: 0.3)
        let spec = ReFTSpec(kind: kind, rank: 3, layers: .list([0, 2]), component: .mlpOutput, positions: try PositionSpec(parsing: "f1+l2"),
                            shareWeights: kind == .direft, activation: kind == .loreft ? .tanh : .identity, dropout: 0.1)
        let adapter = try Self.trainedAdapter(spec, model: configuration)
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try adapter.save(to: folder)
        let loaded = try ReFTAdapter.load(from: folder, for: configuration)
        #expect(loaded.namedParameters.map(\.name) == adapter.namedParameters.map(\.name))
        for (saved, back) in zip(adapter.namedParameters, loaded.namedParameters) {
            #expect(saved.tensor.shape == back.tensor.shape)
            #expect(saved.tensor.scalars.map(\.bitPattern) == back.tensor.scalars.map(\.bitPattern), "\(saved.name)")
        }
        #expect(loaded.spec.kind == kind && loaded.spec.rank == 3 && loaded.layerIndices == [0, 2])
        #expect(loaded.spec.component == .mlpOutput && loaded.spec.positions == spec.positions)
        #expect(loaded.spec.shareWeights == spec.shareWeights && loaded.spec.activation == spec.activation && loaded.spec.dropout == 0.1)
        #expect(try Self.logits(model, loaded) == Self.logits(model, adapter))
        #expect(try Self.logits(model, loaded) != model(TokenBatch.leftPadded([BaseModels.prompt(2), BaseModels.prompt(6, salt: 1)])).logits!.scalars)
        // Saving what was loaded writes the same bytes.
        let again = Self.folder()
        defer { try? FileManager.default.removeItem(at: again) }
        try loaded.save(to: again)
        for name in [ReFTAdapter.weightsFileName, ReFTAdapter.descriptionFileName] {
            #expect(try Data(contentsOf: folder.appendingPathComponent(name)) == Data(contentsOf: again.appendingPathComponent(name)))
        }
    }

    @Test("the files: tensor names and shapes, and adapter.json's fields")
    func fileContents() throws {
        let configuration = try BaseModels.gpt2()
        let adapter = try ReFTAdapter(spec: ReFTSpec(rank: 2, layers: .all, positions: try PositionSpec(parsing: "f3+l3")),
                                      model: configuration, seed: 1)
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try adapter.save(to: folder)
        let contents = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(contents == ["adapter.json", "adapter.safetensors"], "no temporary file is left")
        let archive = try SafetensorsArchive(contentsOf: folder.appendingPathComponent("adapter.safetensors"))
        var expected: [String: [Int]] = [:]
        for layer in 0..<2 {
            for part in ["prefix", "suffix"] {
                expected["layers.\(layer).\(part).rotation"] = [2, 16]
                expected["layers.\(layer).\(part).weight"] = [2, 16]
                expected["layers.\(layer).\(part).bias"] = [2]
            }
        }
        let shapes = archive.tensors.mapValues { $0.shape }
        #expect(shapes == expected)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("adapter.json"))) as? [String: Any])
        #expect(json["format"] as? String == "interchange.reft-adapter")
        #expect(json["format_version"] as? Int == 1)
        #expect(json["type"] as? String == "loreft")
        #expect(json["rank"] as? Int == 2)
        #expect(json["width"] as? Int == 16)
        #expect(json["layers"] as? [Int] == [0, 1])
        #expect(json["site"] as? String == "block_output")
        #expect(json["positions"] as? String == "f3+l3")
        #expect(json["share_weights"] as? Bool == false)
        #expect(json["activation"] as? String == "identity")
        let base = try #require(json["base_model"] as? [String: Any])
        #expect(base["config_hash"] as? String == SHA256.hexDigest(of: BaseModelFingerprint.canonicalText(configuration)))
        #expect(base["family"] as? String == "gpt2" && base["num_hidden_layers"] as? Int == 2 && base["hidden_size"] as? Int == 16)
        let weights = try #require(json["weights"] as? [String: Any])
        #expect(weights["sha256"] as? String == SHA256.hexDigest(try Data(contentsOf: folder.appendingPathComponent("adapter.safetensors"))))
    }

    @Test("the config hash covers the architecture fields and nothing else")
    func configHash() throws {
        let base = try BaseModels.llama()
        let text = BaseModelFingerprint.canonicalText(base)
        // The text is part of the file format: adapters saved earlier must keep matching.
        #expect(text == """
            interchange.transformer-architecture.v1
            family=llama
            model_type=llama
            vocab_size=29
            hidden_size=16
            num_hidden_layers=2
            num_attention_heads=4
            num_key_value_heads=2
            head_dim=4
            intermediate_size=24
            max_position_embeddings=64
            norm_epsilon=1e-05
            tie_word_embeddings=false
            qkv_bias=false
            output_bias=false
            mlp_bias=false
            rope_theta=10000.0
            rope_scaling=none
            sliding_window=none

            """)
        var variants: [TransformerConfiguration] = []
        for change in 0..<7 {
            var c = base
            switch change {
            case 0: c.normEpsilon = 1e-6
            case 1: c.ropeTheta = 500000
            case 2: c.queryKeyValueBias = true
            case 3: c.intermediateSize = 25
            case 4: c.ropeScaling = .llama3(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalContext: 8192)
            case 5: c.slidingWindow = 4096
            default: c.tiedEmbeddings = true
            }
            variants.append(c)
        }
        let hashes = Set(([base] + variants).map { BaseModelFingerprint($0).configHash })
        #expect(hashes.count == 8, "every architecture change changes the hash")
        #expect(BaseModelFingerprint(base) == BaseModelFingerprint(try BaseModels.llama()))
    }

    @Test("an adapter for another base model is refused, saying why")
    func otherModel() throws {
        let configuration = try BaseModels.llama(layers: 2)
        let adapter = try ReFTAdapter(spec: ReFTSpec(rank: 2, layers: .all, positions: try PositionSpec(parsing: "l1")), model: configuration, seed: 1)
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try adapter.save(to: folder)
        let cases: [(TransformerConfiguration, String)] = [
            (try BaseModels.llama(layers: 3), "num_hidden_layers 2 vs 3"),
            (try BaseModels.llama(layers: 2, width: 32), "hidden_size 16 vs 32"),
            (try BaseModels.gpt2(layers: 2), "family llama vs gpt2"),
        ]
        for (other, reason) in cases {
            do {
                _ = try ReFTAdapter.load(from: folder, for: other)
                Issue.record("loaded for \(other)")
            } catch {
                let message = "\(error)"
                #expect(message.contains("adapter.json") && message.contains("base_model.config_hash"), "\(message)")
                #expect(message.contains("trained for another base model") && message.contains(reason), "\(message)")
            }
        }
        var subtle = configuration
        subtle.normEpsilon = 1e-6
        #expect(throws: ReFTError.self) { try ReFTAdapter.load(from: folder, for: subtle) }
        #expect(throws: Never.self) { try ReFTAdapter.load(from: folder, for: configuration) }
    }

    @Test("a failed save leaves the previous pair as it was", arguments: ReFTAdapter.SaveStep.allCases)
    func atomicSave(step: ReFTAdapter.SaveStep) throws {
        let configuration = try BaseModels.llama()
        let spec = ReFTSpec(rank: 2, layers: .all, positions: try PositionSpec(parsing: "f1+l1"))
        let old = try Self.trainedAdapter(spec, model: configuration, seed: 1)
        let new = try Self.trainedAdapter(ReFTSpec(kind: .consreft, rank: 3, layers: .list([1]), positions: try PositionSpec(parsing: "l2")),
                                          model: configuration, seed: 2)
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try old.save(to: folder)
        let before = try [ReFTAdapter.weightsFileName, ReFTAdapter.descriptionFileName].map { try Data(contentsOf: folder.appendingPathComponent($0)) }
        #expect(throws: ReFTError.self) { try new.save(to: folder, failingAt: step) }
        let after = try [ReFTAdapter.weightsFileName, ReFTAdapter.descriptionFileName].map { try Data(contentsOf: folder.appendingPathComponent($0)) }
        #expect(before == after, "the previous pair is unchanged after a failure at \(step)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["adapter.json", "adapter.safetensors"])
        let loaded = try ReFTAdapter.load(from: folder, for: configuration)
        #expect(loaded.parameters.map(\.scalars) == old.parameters.map(\.scalars))
        // A failed first save leaves no pair at all.
        let fresh = Self.folder()
        defer { try? FileManager.default.removeItem(at: fresh) }
        #expect(throws: ReFTError.self) { try new.save(to: fresh, failingAt: step) }
        #expect(!FileManager.default.fileExists(atPath: fresh.appendingPathComponent(ReFTAdapter.descriptionFileName).path))
        #expect(!FileManager.default.fileExists(atPath: fresh.appendingPathComponent(ReFTAdapter.weightsFileName).path))
        // And a successful save replaces both.
        try new.save(to: folder)
        #expect(try ReFTAdapter.load(from: folder, for: configuration).spec.kind == .consreft)
    }

    @Test("saving where a file stands instead of a folder fails, naming the place")
    func unwritableFolder() throws {
        let adapter = try ReFTAdapter(spec: ReFTSpec(rank: 2, layers: .all, positions: try PositionSpec(parsing: "l1")),
                                      model: try BaseModels.llama(), seed: 1)
        let file = Self.folder()
        try Data("not a folder".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            try adapter.save(to: file)
            Issue.record("saved into a file")
        } catch {
            #expect("\(error)".contains(file.path) && "\(error)".contains("cannot write the adapter"), "\(error)")
        }
        #expect(try Data(contentsOf: file) == Data("not a folder".utf8))
    }

    /// Saves an adapter, edits its adapter.json with `edit`, and returns the load error's message.
    static func loadError(editing edit: (inout [String: Any]) -> Void, weights: ((URL) throws -> Void)? = nil) throws -> String {
        let configuration = try BaseModels.llama()
        let adapter = try ReFTAdapter(spec: ReFTSpec(rank: 2, layers: .all, positions: try PositionSpec(parsing: "l1")), model: configuration, seed: 1)
        let folder = folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try adapter.save(to: folder)
        let url = folder.appendingPathComponent("adapter.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        try weights?(folder.appendingPathComponent("adapter.safetensors"))
        do {
            _ = try ReFTAdapter.load(from: folder, for: configuration)
            return "(loaded)"
        } catch {
            return "\(error)"
        }
    }

    @Test("bad adapter.json fields and mismatched weights are refused, naming the file and field")
    func badFiles() throws {
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("format_version", { $0["format_version"] = 2 }, "newer"),
            ("format", { $0["format"] = "pyreft" }, "interchange.reft-adapter"),
            ("type", { $0["type"] = "lorafy" }, "unknown intervention type"),
            ("rank", { $0["rank"] = 99 }, "between 1 and the width 16"),
            ("width", { $0["width"] = 8 }, "hidden size is 16"),
            ("layers", { $0["layers"] = [0, 5] }, "outside the model's layers 0...1"),
            ("site", { $0["site"] = "residual" }, "unknown site"),
            ("positions", { $0["positions"] = "last3" }, "f<n>+l<m>"),
            ("activation", { $0["activation"] = "swish" }, "unknown activation"),
            ("dropout", { $0["dropout"] = 1.5 }, "[0, 1)"),
            ("rank", { $0["rank"] = "two" }, "type"),
            ("share_weights", { $0.removeValue(forKey: "share_weights") }, "missing"),
            ("base_model.config_hash", { json in
                var base = json["base_model"] as! [String: Any]
                base.removeValue(forKey: "config_hash")
                json["base_model"] = base
            }, "missing"),
        ]
        for (field, edit, words) in cases {
            let message = try Self.loadError(editing: edit)
            #expect(message.contains("adapter.json") && message.contains("'\(field)'") && message.contains(words), "\(field): \(message)")
        }
        // A rank the weights do not have: the description changed without the weights.
        let rank = try Self.loadError(editing: { $0["rank"] = 3 })
        #expect(rank.contains("adapter.safetensors") && rank.contains("shape"), "\(rank)")
        // Weights replaced by other bytes: the checksum names the mismatch.
        let swapped = try Self.loadError(editing: { _ in }, weights: { url in
            var data = try Data(contentsOf: url)
            data[data.count - 1] ^= 0x01
            try data.write(to: url)
        })
        #expect(swapped.contains("weights.sha256") && swapped.contains("does not belong"), "\(swapped)")
        // A weights file with a NaN (rewritten with a matching checksum) names the tensor.
        let nan = try Self.loadError(editing: { _ in }, weights: { url in
            let archive = try SafetensorsArchive(contentsOf: url)
            archive.tensors["layers.1.all.weight"]!.scalars[3] = .nan
            try archive.write(to: url)
            let json = url.deletingLastPathComponent().appendingPathComponent("adapter.json")
            var description = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any]
            description["weights"] = ["file": "adapter.safetensors", "sha256": SHA256.hexDigest(try Data(contentsOf: url))]
            try JSONSerialization.data(withJSONObject: description).write(to: json)
        })
        #expect(nan.contains("adapter.safetensors") && nan.contains("layers.1.all.weight") && nan.contains("finite"), "\(nan)")
        // A missing folder says which file could not be read.
        do {
            _ = try ReFTAdapter.load(from: Self.folder(), for: try BaseModels.llama())
            Issue.record("loaded a missing adapter")
        } catch {
            #expect("\(error)".contains("adapter.json") && "\(error)".contains("cannot read"))
        }
    }
}

@Suite("ReFT adapter composition from files")
struct AdapterCompositionTests {
    @Test("two LoReFT adapters on disjoint subspaces of one site load and act together; each keeps its coordinates")
    func disjointSubspaces() throws {
        let configuration = try BaseModels.llama()
        let model = try Transformer(configuration: configuration, seed: 1, scale: 0.3)
        let spec = ReFTSpec(rank: 2, layers: .list([1]), positions: try PositionSpec(parsing: "l2"))
        let first = try ReFTAdapter(spec: spec, model: configuration, seed: 1)
        let second = try ReFTAdapter(spec: spec, model: configuration, seed: 2)
        // One orthonormal [4, d] basis split in two: R₂ R₁ᵀ = 0.
        let basis = Tensor.orthogonal(rows: 4, columns: 16, seed: 77)
        first.interventions[0].intervention.rotation!.matrix.scalars = Array(basis.scalars[0..<32])
        second.interventions[0].intervention.rotation!.matrix.scalars = Array(basis.scalars[32..<64])
        let folders = [AdapterFileTests.folder(), AdapterFileTests.folder()]
        defer { for folder in folders { try? FileManager.default.removeItem(at: folder) } }
        try first.save(to: folders[0])
        try second.save(to: folders[1])
        let loaded = try folders.map { try ReFTAdapter.load(from: $0, for: configuration) }

        let tokens = try TokenBatch([BaseModels.prompt(5)])
        let site = Site(layer: 1, component: .blockOutput)
        let plain = try model(tokens, collecting: [site], logits: .none).collected[site]!
        let both = try model(tokens, plan: ReFTAdapter.plan(loaded, tokens: tokens, promptLengths: [5]),
                             collecting: [site], logits: .none).collected[site]!
        let (a, b) = (loaded[0].interventions[0].intervention, loaded[1].interventions[0].intervention)
        for position in [3, 4] {
            let h = try Tensor(shape: [1, 16], scalars: Array(plain.scalars[(position * 16)..<((position + 1) * 16)]))
            let edited = try Tensor(shape: [1, 16], scalars: Array(both.scalars[(position * 16)..<((position + 1) * 16)]))
            let afterFirst = try a.apply(base: h, sources: [])
            // R₁ h'' = W₁ h + b₁ (the first's edit survives the second), R₂ h'' = W₂ h' + b₂.
            let firstTarget = try Tensor.matmul(h, a.weight!, transposeB: true) + a.bias
            let secondTarget = try Tensor.matmul(afterFirst, b.weight!, transposeB: true) + b.bias
            #expect(close(try a.rotation!.rotate(edited).scalars, firstTarget.scalars, tolerance: 1e-4))
            #expect(close(try b.rotation!.rotate(edited).scalars, secondTarget.scalars, tolerance: 1e-4))
        }
        for position in 0..<3 {
            #expect(Array(both.scalars[(position * 16)..<((position + 1) * 16)]) == Array(plain.scalars[(position * 16)..<((position + 1) * 16)]))
        }
    }
}
