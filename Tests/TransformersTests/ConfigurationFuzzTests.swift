import Foundation
import FuzzSupport
import Testing
@testable import Transformers

/// Seeded mutations of the fixtures' transformer `config.json` files: each either parses to a
/// configuration or throws a `TransformerError`, never traps.
@Suite("Transformer configuration fuzz")
struct ConfigurationFuzzTests {
    @Test("10,000 seeded mutations of config.json: a configuration or a TransformerError, never a crash")
    func mutations() throws {
        let files = [("gpt2", "config.json"), ("llama-gqa", "config.json"), ("llama-gqa", "config.legacy-rope.json"), ("qwen2-bias", "config.json")]
        let bases = try files.map { try [UInt8](Data(contentsOf: Fixtures.directory($0.0).appendingPathComponent($0.1))) }
        let outcome = fuzz(bases, count: 10_000, seed: 11, isExpected: { $0 is TransformerError }) { bytes in
            let configuration = try TransformerConfiguration(json: Data(bytes), file: "mutant/config.json")
            // What the model builder derives from an accepted configuration must not trap either.
            _ = (configuration.headDimension, configuration.keyValueHeadCount, configuration.intermediateSize)
        }
        #expect(outcome.unexpected.isEmpty, "\(outcome.unexpected)")
        #expect(outcome.accepted + outcome.refused == 10_000)
        #expect(outcome.accepted > 100 && outcome.refused > 3_000, "\(outcome)")
    }
}
