import Foundation
import Tensors

/// Saving and loading an MLP as a directory holding `config.json` and `model.safetensors`
/// (tensor names `layers.<i>.weight` `[out, in]`, `layers.<i>.bias`, `output.weight`, `output.bias`).
extension MultilayerPerceptron {
    /// The config file's name inside a network directory.
    public static let configurationFileName = "config.json"
    /// The weights file's name inside a network directory.
    public static let weightsFileName = "model.safetensors"

    /// Writes the network to `directory` (created if needed); each file is written atomically.
    /// - Throws: `NetworkError.unwritable` or `SafetensorsError` naming the path.
    public func save(to directory: URL, metadata: [String: String] = [:]) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(configuration).write(to: directory.appendingPathComponent(Self.configurationFileName), options: .atomic)
        } catch {
            throw NetworkError.unwritable(path: directory.path, reason: error.localizedDescription)
        }
        let tensors = Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.name, $0.tensor.detached()) })
        try SafetensorsArchive(tensors: tensors, metadata: metadata)
            .write(to: directory.appendingPathComponent(Self.weightsFileName))
    }

    /// Loads a network saved by `save(to:)` (or written in the same format by another tool), frozen.
    /// - Throws: `NetworkError.invalidConfiguration` naming the config file and field, or
    ///   `SafetensorsError` naming the weights file and tensor, or `NetworkError.nonFiniteWeight` for a NaN or
    ///   infinite weight.
    public static func load(from directory: URL) throws -> MultilayerPerceptron {
        let configurationURL = directory.appendingPathComponent(configurationFileName)
        let data: Data
        do { data = try Data(contentsOf: configurationURL) } catch {
            throw NetworkError.invalidConfiguration(file: configurationURL.path, field: "(file)", reason: error.localizedDescription)
        }
        let configuration = try MLPConfiguration(json: data, file: configurationURL.path)
        let weightsURL = directory.appendingPathComponent(weightsFileName)
        let archive = try SafetensorsArchive(contentsOf: weightsURL)
        /// A tensor of the expected shape whose every element is finite: a NaN or an infinity (a diverged
        /// run saved anyway, a corrupted file) is refused here, naming it, rather than surfacing later as
        /// a NaN loss blamed on the learning rate.
        func finiteTensor(_ name: String, shape: [Int]) throws -> Tensor {
            let tensor = try archive.tensor(name, shape: shape)
            if let index = tensor.scalars.firstIndex(where: { !$0.isFinite }) {
                throw NetworkError.nonFiniteWeight(file: weightsURL.path, tensor: name, index: index, value: "\(tensor.scalars[index])")
            }
            return tensor
        }
        let widths = [configuration.inputDimension] + configuration.hiddenDimensions
        let layers = try zip(widths, widths.dropFirst()).enumerated().map { index, sizes in
            try Linear(weight: finiteTensor("layers.\(index).weight", shape: [sizes.1, sizes.0]),
                       bias: finiteTensor("layers.\(index).bias", shape: [sizes.1]))
        }
        let output = try Linear(weight: finiteTensor("output.weight", shape: [configuration.outputDimension, widths.last!]),
                                bias: finiteTensor("output.bias", shape: [configuration.outputDimension]))
        return try MultilayerPerceptron(layers: layers, output: output, activation: configuration.activation)
    }
}
