import CommandLineSupport
import Foundation
import Networks

/// Where the searched network comes from: a `--model` directory, or training (cached under `--out`).
enum NetworkSource {
    /// The network for `searchTask`: loaded from `modelPath`, or reused from the cache under
    /// `cacheDirectory/networks/` (keyed by task, architecture digest and seed), or trained and cached.
    /// - Throws: `NetworkError` or `SafetensorsError` for an unreadable model; `RuntimeError` for one
    ///   whose input or output width does not fit the task.
    static func network(for searchTask: SearchTask, modelPath: String?, seed: UInt64, cacheDirectory: URL,
                        log: (String) -> Void) throws -> (MultilayerPerceptron, SearchReport.Network) {
        let expected = searchTask.networkConfiguration
        if let modelPath {
            let network = try MultilayerPerceptron.load(from: URL(fileURLWithPath: modelPath))
            let found = network.configuration
            guard found.inputDimension == expected.inputDimension, found.outputDimension == expected.outputDimension else {
                throw RuntimeError("--model \(modelPath) takes \(found.inputDimension) inputs and gives \(found.outputDimension) classes; task \(searchTask.name) needs \(expected.inputDimension) and \(expected.outputDimension)")
            }
            return (network, .init(origin: "loaded", path: modelPath, configuration: found, testAccuracy: nil))
        }
        let directory = cacheDirectory.appendingPathComponent("networks/\(searchTask.name)-\(expected.digest)-seed\(seed)")
        if FileManager.default.fileExists(atPath: directory.path) {
            // A cache is a convenience, never trusted: one that fails to load (a truncated file, or non-finite
            // weights, which the loader refuses), has another shape or lacks its accuracy is trained again.
            do {
                let network = try MultilayerPerceptron.load(from: directory)
                let accuracy = try SafetensorsArchive(contentsOf: directory.appendingPathComponent(MultilayerPerceptron.weightsFileName))
                    .metadata["test_accuracy"].flatMap(Double.init)
                if network.configuration == expected, let accuracy, accuracy.isFinite {
                    log("Reusing the network trained before: \(directory.path)")
                    return (network, .init(origin: "trained", path: nil, configuration: expected, testAccuracy: accuracy))
                }
                log("The cached network in \(directory.path) does not match this task or lacks its test accuracy; training it again.")
            } catch {
                log("The cached network in \(directory.path) cannot be used (\(error)); training it again.")
            }
        }
        log("Training the \(searchTask.name) network (seed \(seed)); it is cached in \(directory.path) for later runs…")
        let network = try MultilayerPerceptron(expected, seed: seed)
        let accuracy = try searchTask.train(network, seed)
        try network.save(to: directory, metadata: ["test_accuracy": "\(accuracy)", "task": searchTask.name, "seed": "\(seed)"])
        return (network, .init(origin: "trained", path: nil, configuration: expected, testAccuracy: accuracy))
    }
}
