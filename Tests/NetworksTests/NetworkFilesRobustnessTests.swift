import Foundation
import FuzzSupport
import Testing
import Tensors
@testable import Networks

/// Hostile network directories: non-finite weights, sizes at their limits, and a fuzz of `config.json`.
@Suite struct NetworkFilesRobustnessTests {
    let configuration = MLPConfiguration(inputDimension: 3, hiddenDimensions: [4, 5], outputDimension: 2, activation: .relu)

    func savedNetwork() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("interchange-mlp-robust-\(UUID().uuidString)")
        try MultilayerPerceptron(configuration, seed: 6).save(to: directory)
        return directory
    }

    @Test("a NaN or an infinity in any weight is refused when loaded, naming the file, tensor and element")
    func nonFiniteWeightsAreRefused() throws {
        let directory = try savedNetwork()
        defer { try? FileManager.default.removeItem(at: directory) }
        let weightsURL = directory.appendingPathComponent(MultilayerPerceptron.weightsFileName)
        let original = try SafetensorsArchive(contentsOf: weightsURL)
        for (name, index, value) in [("layers.1.weight", 7, Float.nan), ("output.bias", 1, Float.infinity), ("layers.0.bias", 0, -Float.infinity)] {
            var archive = original
            let tensor = try archive.tensor(name)
            var scalars = tensor.scalars
            scalars[index] = value
            archive.tensors[name] = try Tensor(shape: tensor.shape, scalars: scalars)
            try archive.write(to: weightsURL)
            let error = try #require(throws: NetworkError.self) { try MultilayerPerceptron.load(from: directory) }
            #expect(error == .nonFiniteWeight(file: weightsURL.path, tensor: name, index: index, value: "\(value)"))
            #expect(error.description.contains("model.safetensors") && error.description.contains("'\(name)'")
                    && error.description.contains("non-finite weights is refused"), "\(error)")
        }
        try original.write(to: weightsURL)
        _ = try MultilayerPerceptron.load(from: directory)  // the untouched file still loads
    }

    @Test("sizes whose products overflow or whose memory cannot exist are refused naming the field")
    func sizesAtTheirLimits() throws {
        let cases: [(MLPConfiguration, String, String)] = [
            (MLPConfiguration(inputDimension: 4_611_686_018_427_387_904, hiddenDimensions: [4], outputDimension: 2),
             "hidden_dimensions[0]", "overflows"),
            (MLPConfiguration(inputDimension: 3, hiddenDimensions: [4, Int.max], outputDimension: 2), "hidden_dimensions[1]", "overflows"),
            (MLPConfiguration(inputDimension: 3, hiddenDimensions: [4], outputDimension: Int.max), "output_dimension", "overflows"),
            (MLPConfiguration(inputDimension: 1 << 20, hiddenDimensions: [1 << 20], outputDimension: 2), "hidden_dimensions", "would need"),
            (MLPConfiguration(inputDimension: 3, hiddenDimensions: [-4], outputDimension: 2), "hidden_dimensions", "positive"),
        ]
        for (configuration, field, reason) in cases {
            let error = try #require(throws: NetworkError.self) { try MultilayerPerceptron(configuration, seed: 0) }
            #expect(error.description.contains("field '\(field)'") && error.description.contains(reason), "\(error)")
        }
    }

    @Test("10,000 seeded mutations of config.json: a network or a NetworkError/SafetensorsError, never a crash")
    func configurationFuzz() throws {
        let directory = try savedNetwork()
        defer { try? FileManager.default.removeItem(at: directory) }
        let configURL = directory.appendingPathComponent(MultilayerPerceptron.configurationFileName)
        let base = try [UInt8](Data(contentsOf: configURL))
        let input = Tensor.normal(shape: [2, 3], seed: 1)
        var trial = 0
        let outcome = fuzz([base], count: 10_000, seed: 7, isExpected: { $0 is NetworkError || $0 is SafetensorsError }) { bytes in
            defer { trial += 1 }
            // Every mutant through the config reader in memory; every 20th also through the whole load from
            // disk (config, weights, shapes) and a forward pass, which is where file I/O makes it slower.
            let configuration = try MLPConfiguration(json: Data(bytes), file: configURL.path)
            if trial % 20 == 0 {
                try Data(bytes).write(to: configURL)
                let network = try MultilayerPerceptron.load(from: directory)
                #expect(network.configuration == configuration)
                _ = try network(input)
            }
        }
        #expect(outcome.unexpected.isEmpty, "\(outcome.unexpected)")
        #expect(outcome.accepted + outcome.refused == 10_000)
        #expect(outcome.accepted > 50 && outcome.refused > 5_000, "\(outcome)")
    }
}
