import ArgumentParser
import CommandLineSupport
import Foundation
import Networks
import Tokenizers
import Transformers

/// `--model DIR`: the checkpoint directory the model-running subcommands share.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "A Hugging Face checkpoint directory: config.json, model.safetensors (or its shards and model.safetensors.index.json), and tokenizer.json for text.",
        valueName: "dir"))
    var model: String

    var directory: URL { URL(fileURLWithPath: model, isDirectory: true) }

    /// The directory, checked to exist before anything is parsed from it.
    /// - Throws: `RuntimeError` when it is missing or a file.
    func existingDirectory() throws -> URL {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory) else {
            throw RuntimeError("model directory '\(model)' does not exist")
        }
        guard isDirectory.boolValue else { throw RuntimeError("--model '\(model)' is a file; give the checkpoint's directory") }
        return directory
    }

    /// The architecture from `config.json`.
    func loadConfiguration() throws -> TransformerConfiguration {
        let url = try existingDirectory().appendingPathComponent("config.json")
        return try runtime { try TransformerConfiguration(contentsOf: url) }
    }

    /// The checkpoint's weight files, memory-mapped.
    func loadCheckpoint() throws -> SafetensorsCheckpoint {
        let directory = try existingDirectory()
        return try runtime { try SafetensorsCheckpoint(directory: directory) }
    }

    /// The model with `configuration` (read before, so arguments can be checked against it before the
    /// weights are read), weights loaded.
    func loadModel(_ configuration: TransformerConfiguration) throws -> Transformer {
        let checkpoint = try loadCheckpoint()
        return try runtime { try Transformer(configuration: configuration, checkpoint: checkpoint) }
    }

    /// `tokenizer.json` beside the weights.
    /// - Throws: `RuntimeError` when it is missing (naming what needed it) or malformed.
    func loadTokenizer(neededFor purpose: String) throws -> Tokenizer {
        let url = try existingDirectory().appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw RuntimeError("\(url.path) is missing; \(purpose) needs the model's tokenizer")
        }
        return try runtime { try Tokenizer(contentsOf: url) }
    }

    /// The ids the model's `generation_config.json` (else `config.json`) names as `eos_token_id`: one id or a list.
    func endOfSequenceIDs() throws -> [Int] {
        let directory = try existingDirectory()
        for name in ["generation_config.json", "config.json"] {
            let url = directory.appendingPathComponent(name)
            guard let data = try? Data(contentsOf: url),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let value = object["eos_token_id"] else { continue }
            if let id = value as? Int { return [id] }
            if let ids = value as? [Int] { return ids }
        }
        return []
    }
}

/// Runs `body`, turning a library error into a `RuntimeError` (exit status 1) with its message.
func runtime<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as UsageError { throw error } catch let error as RuntimeError { throw error } catch {
        throw RuntimeError(String(describing: error))
    }
}
