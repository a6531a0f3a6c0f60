import Foundation
import Testing
@testable import Transformers

@Suite("Transformer configuration")
struct ConfigurationTests {
    @Test("the fixtures' config.json files parse to their architectures")
    func fixtureConfigurations() throws {
        let gpt2 = try TransformerConfiguration(contentsOf: Fixtures.directory("gpt2").appendingPathComponent("config.json"))
        #expect(gpt2.family == .gpt2 && gpt2.hiddenSize == 48 && gpt2.layerCount == 3 && gpt2.headCount == 4)
        #expect(gpt2.intermediateSize == 4 * 48 && gpt2.tiedEmbeddings && gpt2.queryKeyValueBias && gpt2.maxPositions == 64)
        let llama = try TransformerConfiguration(contentsOf: Fixtures.directory("llama-gqa").appendingPathComponent("config.json"))
        #expect(llama.family == .llama && llama.keyValueHeadCount == 2 && llama.headDimension == 12 && !llama.tiedEmbeddings)
        #expect(llama.ropeTheta == 500000 && !llama.queryKeyValueBias)
        #expect(llama.ropeScaling == .llama3(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalContext: 64))
        let qwen = try TransformerConfiguration(contentsOf: Fixtures.directory("qwen2-bias").appendingPathComponent("config.json"))
        #expect(qwen.family == .llama && qwen.queryKeyValueBias && !qwen.outputBias && qwen.tiedEmbeddings && qwen.ropeScaling == .none)
    }

    /// A Llama config in the older spelling (top-level `rope_theta` and `rope_scaling`).
    static func oldSpelling(_ scaling: String) -> String {
        """
        {"model_type": "llama", "vocab_size": 100, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 256, "rms_norm_eps": 1e-5,
         "rope_theta": 500000.0\(scaling)}
        """
    }

    @Test("rope_theta and rope_scaling (old spelling) equal rope_parameters (transformers 5)")
    func bothRopeSpellings() throws {
        let old = try TransformerConfiguration(json: Data(Self.oldSpelling("""
            , "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64}
            """).utf8))
        let new = try TransformerConfiguration(json: Data("""
            {"model_type": "llama", "vocab_size": 100, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 256, "rms_norm_eps": 1e-5,
             "rope_parameters": {"rope_theta": 500000.0, "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                 "high_freq_factor": 4.0, "original_max_position_embeddings": 64}}
            """.utf8))
        #expect(old == new)
        #expect(old.ropeTheta == 500000)
        let plain = try TransformerConfiguration(json: Data(Self.oldSpelling("").utf8))
        #expect(plain.ropeScaling == .none)
    }

    @Test("Llama 3 inverse frequencies equal a direct Float64 computation of HF's rule")
    func llama3Frequencies() throws {
        let c = try TransformerConfiguration(json: Data(Self.oldSpelling("""
            , "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64}
            """).utf8))
        let d = 8.0
        var expected: [Double] = []
        for i in stride(from: 0.0, to: d, by: 2) {
            let f = 1 / pow(500000.0, i / d)
            let wavelength = 2 * Double.pi / f
            if wavelength < 64.0 / 4 { expected.append(f) }
            else if wavelength > 64.0 / 1 { expected.append(f / 8) }
            else {
                let s = (64 / wavelength - 1) / (4 - 1)
                expected.append((1 - s) * f / 8 + s * f)
            }
        }
        let ours = c.inverseFrequencies
        #expect(ours.count == 4)
        for (a, b) in zip(ours, expected) { #expect(abs(Double(a) - b) <= 1e-7 * b) }
        // With these sizes both rules apply: the highest frequency is kept, the lowest divided by 8.
        #expect(abs(Double(ours[0]) - 1) < 1e-7)
        #expect(abs(Double(ours[3]) - 1 / pow(500000.0, 6.0 / 8) / 8) < 1e-9)
    }

    @Test("Mistral's sliding window is read, and sequences longer than it are refused")
    func slidingWindow() throws {
        let mistral = try TransformerConfiguration(json: Data("""
            {"model_type": "mistral", "vocab_size": 30, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
             "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 64, "sliding_window": 4}
            """.utf8))
        #expect(mistral.slidingWindow == 4 && mistral.family == .llama && !mistral.queryKeyValueBias)
        let model = try Transformer(configuration: mistral, seed: 1)
        _ = try model(TokenBatch([[1, 2, 3, 4]]))
        #expect { _ = try model(TokenBatch([[1, 2, 3, 4, 5]])) } throws: { "\($0)".contains("sliding_window") }
        let qwen = try TransformerConfiguration(contentsOf: Fixtures.directory("qwen2-bias").appendingPathComponent("config.json"))
        #expect(qwen.slidingWindow == nil)
    }

    @Test("an unsupported model_type is named, with the supported ones")
    func unsupportedModelType() {
        #expect {
            _ = try TransformerConfiguration(json: Data(#"{"model_type": "bert", "vocab_size": 10}"#.utf8), file: "x/config.json")
        } throws: { error in
            let text = "\(error)"
            return text.contains("x/config.json") && text.contains("'bert'") && text.contains("gpt2") && text.contains("llama")
        }
    }

    @Test("a missing field is named, for both families", arguments: ["n_embd", "hidden_size", "model_type"])
    func missingField(field: String) throws {
        let gpt2: [String: Any] = ["model_type": "gpt2", "vocab_size": 10, "n_embd": 8, "n_layer": 1, "n_head": 2, "n_positions": 16]
        let llama: [String: Any] = ["model_type": "llama", "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16,
                                    "num_hidden_layers": 1, "num_attention_heads": 2, "max_position_embeddings": 16]
        var fields = field == "hidden_size" ? llama : gpt2
        fields[field] = nil
        let data = try JSONSerialization.data(withJSONObject: fields)
        #expect(throws: TransformerError.missingField(file: "config.json", field: field)) {
            _ = try TransformerConfiguration(json: data)
        }
    }

    @Test("invalid sizes are named before anything is allocated")
    func invalidSizes() throws {
        func parse(_ changes: [String: Any]) throws {
            var fields: [String: Any] = ["model_type": "llama", "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16,
                                         "num_hidden_layers": 1, "num_attention_heads": 2, "max_position_embeddings": 16]
            fields.merge(changes) { $1 }
            _ = try TransformerConfiguration(json: try JSONSerialization.data(withJSONObject: fields))
        }
        #expect { try parse(["num_attention_heads": 3]) } throws: { "\($0)".contains("num_attention_heads") && "\($0)".contains("do not divide") }
        #expect { try parse(["num_key_value_heads": 3, "num_attention_heads": 4]) } throws: { "\($0)".contains("num_key_value_heads") }
        #expect { try parse(["vocab_size": -1]) } throws: { "\($0)".contains("vocab_size") && "\($0)".contains("positive") }
        #expect { try parse(["hidden_size": 1 << 40]) } throws: { "\($0)".contains("hidden_size") && "\($0)".contains("limit") }
        #expect { try parse(["hidden_size": "wide"]) } throws: { "\($0)".contains("hidden_size") && "\($0)".contains("integer") }
        #expect { try parse(["hidden_act": "gelu"]) } throws: { "\($0)".contains("hidden_act") }
        #expect { try parse(["rope_scaling": ["rope_type": "yarn", "factor": 2.0]]) } throws: { "\($0)".contains("rope_scaling.rope_type") }
        #expect { try parse(["rope_scaling": ["rope_type": "llama3", "factor": 2.0]]) } throws: { "\($0)".contains("rope_scaling.low_freq_factor") }
    }
}
