import ArgumentParser
import CommandLineSupport
import Foundation
import Interventions
import ReFT
import Transformers

/// `--adapter DIR` (repeatable): adapters written by `reft train` that act together on the model.
struct AdapterOptions: ParsableArguments {
    @Option(name: .customLong("adapter"), help: ArgumentHelp(
        "An adapter folder (adapter.json + adapter.safetensors) written by `reft train`; repeat to compose several. ReFT adapters act on the prompt's positions, in the order given; at most one LoRA adapter, merged into the weights.",
        valueName: "dir"))
    var paths: [String] = []

    /// The loaded adapters: the ReFT ones (to place), and the LoRA one already merged into `model`.
    struct Loaded {
        var reft: [ReFTAdapter] = []
        var lora: LoRAAdapter?
        /// One line per adapter for the report.
        var descriptions: [String] = []

        /// The plan for one batch (nil without ReFT adapters).
        func plan(tokens: TokenBatch, promptLengths: [Int]) throws -> InterventionPlan? {
            reft.isEmpty ? nil : try runtime { try ReFTAdapter.plan(reft, tokens: tokens, promptLengths: promptLengths) }
        }
    }

    /// Reads every adapter for `model`.
    /// - Throws: `UsageError` (exit 2) for a missing folder, an adapter made for another base model or
    ///   for layers/widths this model lacks, or two LoRA adapters; `RuntimeError` for a corrupt adapter.
    func load(for model: Transformer) throws -> Loaded {
        var loaded = Loaded()
        for path in paths {
            let url = URL(fileURLWithPath: path, isDirectory: true)
            let json = url.appendingPathComponent(ReFTAdapter.descriptionFileName)
            guard FileManager.default.fileExists(atPath: json.path) else {
                throw UsageError("--adapter '\(path)': \(json.path) does not exist; give a folder written by `reft train`")
            }
            do {
                if try Self.type(of: json) == LoRAAdapter.typeName {
                    guard loaded.lora == nil else { throw UsageError("--adapter '\(path)': only one LoRA adapter can be applied at a time") }
                    let lora = try LoRAAdapter.load(from: url, for: model)
                    try lora.prepareForward()
                    loaded.lora = lora
                    loaded.descriptions.append("\(path): LoRA rank \(lora.spec.rank), alpha \(lora.spec.alpha), layers \(lora.layerIndices.map(String.init).joined(separator: ",")), targets \(lora.spec.targets.map(\.rawValue).joined(separator: ","))")
                } else {
                    let adapter = try ReFTAdapter.load(from: url, for: model)
                    loaded.reft.append(adapter)
                    loaded.descriptions.append("\(path): \(adapter.spec)")
                }
            } catch let error as ReFTError {
                if case let .invalidFile(_, field, _) = error, field.hasPrefix("base_model") || field == "layers" || field == "width" {
                    throw UsageError("--adapter '\(path)' does not fit this model: \(error)")
                }
                throw RuntimeError("--adapter '\(path)': \(error)")
            } catch let error as UsageError {
                throw error
            } catch {
                throw RuntimeError("--adapter '\(path)': \(error)")
            }
        }
        return loaded
    }

    /// The `type` field of an `adapter.json`.
    static func type(of url: URL) throws -> String {
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any], let type = object["type"] as? String else {
            throw RuntimeError("\(url.path): field 'type' is missing or not a string")
        }
        return type
    }
}
