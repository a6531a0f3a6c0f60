import Foundation
import Testing
import TestSupport
import Interventions
import Tensors
@testable import Networks

@Suite struct MultilayerPerceptronTests {
    let configuration = MLPConfiguration(inputDimension: 3, hiddenDimensions: [4, 5], outputDimension: 2, activation: .relu)

    func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("interchange-mlp-\(UUID().uuidString)")
    }

    @Test func forwardMatchesADirectComputation() throws {
        let network = try MultilayerPerceptron(configuration, seed: 1)
        let input = Tensor.normal(shape: [2, 3], seed: 2)
        let logits = try network(input)
        for row in 0..<2 {
            var h = (0..<3).map { input[row, $0] }
            for layer in network.layers {
                let (w, b) = (layer.weight, layer.bias!)
                h = (0..<w.shape[0]).map { o in max(0, (0..<w.shape[1]).reduce(b[o]) { $0 + w[o, $1] * h[$1] }) }
            }
            let (w, b) = (network.output.weight, network.output.bias!)
            let expected = (0..<2).map { o in (0..<w.shape[1]).reduce(b[o]) { $0 + w[o, $1] * h[$1] } }
            #expect(close([logits[row, 0], logits[row, 1]], expected))
        }
        #expect(network.namedParameters.map(\.name) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "output.weight", "output.bias"])
        #expect(network.parameterCount == 3 * 4 + 4 + 4 * 5 + 5 + 5 * 2 + 2)
    }

    @Test func sameSeedSameNetwork() throws {
        let a = try MultilayerPerceptron(configuration, seed: 3), b = try MultilayerPerceptron(configuration, seed: 3)
        #expect(a.parameters.map(\.scalars) == b.parameters.map(\.scalars))
    }

    @Test func saveAndLoadGiveTheSameNetworkBitForBit() throws {
        let network = try MultilayerPerceptron(configuration, seed: 4)
        let directory = temporaryDirectory()
        try network.save(to: directory)
        let loaded = try MultilayerPerceptron.load(from: directory)
        #expect(loaded.configuration == network.configuration)
        #expect(loaded.parameters.map(\.scalars) == network.parameters.map(\.scalars))
        let input = Tensor.normal(shape: [4, 3], seed: 5)
        #expect(try loaded(input).scalars == network(input).scalars)
    }

    @Test func badNetworkFilesGiveErrorsNamingTheFileAndField() throws {
        let directory = temporaryDirectory()
        try MultilayerPerceptron(configuration, seed: 6).save(to: directory)
        let configURL = directory.appendingPathComponent("config.json")
        let original = try String(contentsOf: configURL, encoding: .utf8)

        try original.replacingOccurrences(of: "\"relu\"", with: "\"swish\"").write(to: configURL, atomically: true, encoding: .utf8)
        let activation = try #require(throws: NetworkError.self) { try MultilayerPerceptron.load(from: directory) }
        #expect(activation.description.contains("config.json") && activation.description.contains("activation"))

        try original.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 7").write(to: configURL, atomically: true, encoding: .utf8)
        let version = try #require(throws: NetworkError.self) { try MultilayerPerceptron.load(from: directory) }
        #expect(version.description.contains("'version'") && version.description.contains("found 7"))

        try "{".write(to: configURL, atomically: true, encoding: .utf8)
        #expect(throws: NetworkError.self) { try MultilayerPerceptron.load(from: directory) }

        // A config that promises wider layers than the weights hold.
        try original.replacingOccurrences(of: "\"input_dimension\" : 3", with: "\"input_dimension\" : 9").write(to: configURL, atomically: true, encoding: .utf8)
        let shape = try #require(throws: SafetensorsError.self) { try MultilayerPerceptron.load(from: directory) }
        #expect(shape.description.contains("model.safetensors") && shape.description.contains("layers.0.weight")
                && shape.description.contains("[4, 3]") && shape.description.contains("[4, 9]"))
    }

    @Test func sitesAndTheirErrors() throws {
        let network = try MultilayerPerceptron(configuration, seed: 7)
        #expect(network.sites.map(\.description) == ["layer.0", "layer.1"])
        #expect(try network.width(of: Site(layer: 1)) == 5)
        let unknown = try #require(throws: InterventionError.self) { try network.width(of: Site(layer: 2)) }
        #expect(unknown.description.contains("layer.2") && unknown.description.contains("layer.0, layer.1"))
        let plan = InterventionPlan(site: Site(layer: 0), intervention: AdditionIntervention(width: 5), sources: [Tensor.zeros(shape: [2, 4])])
        let width = try #require(throws: InterventionError.self) { try network(Tensor.zeros(shape: [2, 3]), plan: plan) }
        #expect(width.description.contains("layer.0") && width.description.contains("width 4"))
        let input = try #require(throws: NetworkError.self) { try network(Tensor.zeros(shape: [2, 7])) }
        #expect(input.description.contains("width 3"))
    }

    @Test func interchangeRunsSourcesBatchedAndMatchesAManualPatch() throws {
        let network = try MultilayerPerceptron(configuration, seed: 8)
        let base = Tensor.normal(shape: [3, 3], seed: 9), source = Tensor.normal(shape: [3, 3], seed: 10)
        let site = Site(layer: 0)
        let intervention = try InterchangeIntervention(width: 4, dimensions: [[1, 2]])
        let logits = try network.interchange(base: base, sources: [source], at: site, intervention: intervention)

        // By hand: the base's layer-0 representation with dimensions 1 and 2 from the source's, then the rest.
        let h = try network.representation(at: site, for: base), s = try network.representation(at: site, for: source)
        var patched = h.scalars
        for row in 0..<3 { for column in [1, 2] { patched[row * 4 + column] = s.scalars[row * 4 + column] } }
        let expected = try network.logits(continuingFrom: site, representation: Tensor(shape: [3, 4], scalars: patched))
        #expect(close(logits.scalars, expected.scalars))
        // With no intervention, continuing from a site gives the plain forward pass.
        #expect(close(try network.logits(continuingFrom: site, representation: h).scalars, try network(base).scalars))
    }

    @Test func trainingReachesFullAccuracyOnAnd() throws {
        let network = try MultilayerPerceptron(MLPConfiguration(inputDimension: 2, hiddenDimensions: [4], outputDimension: 2), seed: 11)
        let inputs = try Tensor(rows: [[0, 0], [0, 1], [1, 0], [1, 1]])
        let losses = try network.train(inputs: inputs, labels: [0, 0, 0, 1],
                                       options: ClassifierTrainingOptions(epochs: 200, batchSize: 4, learningRate: 0.05, seed: 12))
        #expect(losses.last! < losses.first!)
        #expect(try network.accuracy(inputs: inputs, labels: [0, 0, 0, 1]) == 1)
        #expect(network.parameters.allSatisfy { !$0.requiresGradient })
    }
}
