import Foundation
import Networks
import Tensors
import Testing
@testable import Transformers

@Suite("Checkpoint loading and the HF name table")
struct WeightLoadingTests {
    /// A copy of a fixture's config.json and weights, with `change` applied to the weights.
    static func alteredCopy(of name: String, _ change: (inout SafetensorsArchive) -> Void) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("transformer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = Fixtures.directory(name)
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: directory.appendingPathComponent("config.json"))
        var archive = try SafetensorsArchive(contentsOf: source.appendingPathComponent("model.safetensors"))
        change(&archive)
        try archive.write(to: directory.appendingPathComponent("model.safetensors"))
        return directory
    }

    @Test("a missing weight is an error naming the file and the tensor")
    func missingWeight() throws {
        let directory = try Self.alteredCopy(of: "llama-gqa") { $0.tensors["model.layers.1.mlp.gate_proj.weight"] = nil }
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect { _ = try Transformer(directory: directory) } throws: { error in
            "\(error)".contains("model.layers.1.mlp.gate_proj.weight") && "\(error)".contains("model.safetensors")
        }
    }

    @Test("a weight of the wrong shape is an error naming it and both shapes")
    func misshapenWeight() throws {
        let directory = try Self.alteredCopy(of: "gpt2") { $0.tensors["transformer.h.0.attn.c_attn.weight"] = Tensor.zeros(shape: [48, 48]) }
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect { _ = try Transformer(directory: directory) } throws: { error in
            "\(error)".contains("transformer.h.0.attn.c_attn.weight") && "\(error)".contains("144")
        }
    }

    @Test("an untied model without lm_head.weight names it")
    func missingHead() throws {
        let directory = try Self.alteredCopy(of: "llama-gqa") { $0.tensors["lm_head.weight"] = nil }
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect { _ = try Transformer(directory: directory) } throws: { "\($0)".contains("lm_head.weight") }
    }

    @Test("GPT-2 files without the transformer. prefix (the original gpt2 layout) load to the same model")
    func unprefixedGPT2() throws {
        let directory = try Self.alteredCopy(of: "gpt2") { archive in
            archive.tensors = Dictionary(uniqueKeysWithValues: archive.tensors.map { key, value in
                (key.hasPrefix("transformer.") ? String(key.dropFirst("transformer.".count)) : key, value)
            })
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokens = try TokenBatch([[3, 1, 4, 1, 5]])
        #expect(try Transformer(directory: directory)(tokens).logits!.scalars == (try Fixtures.model("gpt2")(tokens).logits!.scalars))
    }

    @Test("saving gives back the HF tensors exactly (GPT-2's fused c_attn and Conv1D layout included)", arguments: ["gpt2", "qwen2-bias", "llama-gqa"])
    func roundTrip(name: String) throws {
        let model = try Fixtures.model(name)
        let stored = try SafetensorsArchive(contentsOf: Fixtures.directory(name).appendingPathComponent("model.safetensors"))
        let saved = try model.huggingFaceWeights()
        // A tied head is stored once, under the embedding's name; files may carry lm_head.weight as well.
        #expect(Set(saved.keys) == Set(stored.tensors.keys).subtracting(model.configuration.tiedEmbeddings ? ["lm_head.weight"] : []))
        for (key, value) in saved {
            let original = try stored.tensor(key)
            #expect(value.shape == original.shape && value.scalars == original.scalars, "\(key)")
        }
    }

    @Test("parameters have our dotted names, the tied head listed once")
    func parameterNames() throws {
        let gpt2 = try Fixtures.model("gpt2")
        let names = gpt2.namedParameters.map(\.name)
        #expect(names.contains("layers.2.attention.query.weight") && names.contains("positionEmbedding.weight"))
        #expect(!names.contains { $0.hasPrefix("head") })
        #expect(Set(names).count == names.count)
        let llama = try Fixtures.model("llama-gqa")
        let llamaNames = llama.namedParameters.map(\.name)
        #expect(llamaNames.contains("head.weight") && llamaNames.contains("layers.1.mlp.gate.weight"))
        #expect(!llamaNames.contains("layers.0.attention.query.bias"))
        #expect(try Fixtures.model("qwen2-bias").namedParameters.map(\.name).contains("layers.0.attention.query.bias"))
    }
}
