import Testing
import Tensors

/// A block with a bias-free projection, an optional extra and a list of sublayers.
private final class Block: Module {
    let query: Linear
    let output: Linear?
    let missing: Linear?
    let scale: Tensor
    let sublayers: [Linear]
    let note = "not a parameter"
    let count = 3

    init(width: Int, seed: UInt64, withOutput: Bool) {
        var generator = SeededGenerator(seed: seed)
        query = Linear(inputs: width, outputs: width, bias: false, using: &generator)
        output = withOutput ? Linear(inputs: width, outputs: 2, using: &generator) : nil
        missing = nil
        scale = Tensor.ones(shape: [width], requiresGradient: true)
        sublayers = (0..<2).map { _ in Linear(inputs: width, outputs: width, using: &generator) }
    }
}

/// A tiny model: an embedding table tied to the output head, blocks, and a keyed table.
private final class TinyModel: Module {
    let embedding: Tensor
    let layers: [Block]
    let head: Linear
    let extras: [String: Tensor]
    /// Plain data: no parameters.
    let frequencies: [Float] = [1, 0.5]
    let vocabulary: [String: Int] = ["a": 0, "b": 1]
    let emptyLayers: [Linear] = []
    /// A back-reference: walking it must not loop or list anything twice.
    var parent: TinyModel?

    init() throws {
        embedding = Tensor.normal(shape: [5, 3], seed: 1, requiresGradient: true)
        layers = [Block(width: 3, seed: 2, withOutput: true), Block(width: 3, seed: 3, withOutput: false)]
        head = try Linear(weight: embedding, bias: nil)
        extras = ["zeta": Tensor.zeros(shape: [1], requiresGradient: true), "alpha": Tensor.zeros(shape: [2], requiresGradient: true)]
    }
}

@Suite struct ModuleTreeTests {
    static let expectedNames = [
        "embedding",
        "layers.0.query.weight", "layers.0.output.weight", "layers.0.output.bias", "layers.0.scale",
        "layers.0.sublayers.0.weight", "layers.0.sublayers.0.bias", "layers.0.sublayers.1.weight", "layers.0.sublayers.1.bias",
        "layers.1.query.weight", "layers.1.scale",
        "layers.1.sublayers.0.weight", "layers.1.sublayers.0.bias", "layers.1.sublayers.1.weight", "layers.1.sublayers.1.bias",
        "extras.alpha", "extras.zeta",
    ]

    @Test func namesAreDottedPropertyPathsAndATiedTensorIsListedOnce() throws {
        let model = try TinyModel()
        model.parent = model
        defer { model.parent = nil }
        let named = model.namedParameters
        #expect(named.map(\.name) == Self.expectedNames)
        // `head.weight` is the embedding table: one parameter, under its first path.
        #expect(named[0].tensor === model.embedding && model.head.weight === model.embedding)
        #expect(!named.contains { $0.name.hasPrefix("head") })
        #expect(Set(model.parameters.map(ObjectIdentifier.init)).count == model.parameters.count)
        let expectedCount = 15 + (9 + 6 + 2 + 3 + 2 * 12) + (9 + 3 + 2 * 12) + 3
        #expect(model.parameterCount == expectedCount)
        #expect(model.layers[1].namedParameters.first?.name == "query.weight")
    }

    @Test func linearWithoutBiasHasOnlyAWeight() throws {
        var generator = SeededGenerator(seed: 4)
        let layer = Linear(inputs: 3, outputs: 2, bias: false, using: &generator)
        #expect(layer.bias == nil && layer.namedParameters.map(\.name) == ["weight"])
        let x = Tensor.normal(shape: [4, 3], seed: 5)
        let y = try layer(x)
        for row in 0..<4 {
            for o in 0..<2 {
                let direct = (0..<3).reduce(0.0) { $0 + Double(x[row, $1]) * Double(layer.weight[o, $1]) }
                #expect(abs(Double(y[row, o]) - direct) < 1e-5)
            }
        }
        #expect(throws: TensorError.self) { try Linear(weight: Tensor.zeros(shape: [2, 3]), bias: Tensor.zeros(shape: [3])) }
    }

    @Test func freezeUnfreezeAndTrainableParameters() throws {
        let model = try TinyModel()
        #expect(model.trainableParameters().map(\.name) == Self.expectedNames)
        model.freeze()
        #expect(model.parameters.allSatisfy { !$0.requiresGradient })
        #expect(model.trainableParameters().isEmpty)
        model.layers[1].unfreeze()
        #expect(model.trainableParameters().map(\.name) == Self.expectedNames.filter { $0.hasPrefix("layers.1.") })
        // Frozen parameters record no tape: a loss through layer 0 alone needs no gradient.
        let x = Tensor.normal(shape: [2, 3], seed: 6)
        #expect(!(try model.layers[0].query(x)).requiresGradient)
        #expect(try model.layers[1].query(x).requiresGradient)
        model.unfreeze()
        #expect(model.trainableParameters().count == Self.expectedNames.count)
    }

    @Test func loadParametersRoundTripsInPlace() throws {
        let source = try TinyModel(), target = try TinyModel()
        for (index, parameter) in source.parameters.enumerated() {
            parameter.scalars = parameter.scalars.indices.map { Float(index) + Float($0) / 100 }
        }
        let values = Dictionary(uniqueKeysWithValues: source.namedParameters.map { ($0.name, $0.tensor.detached()) })
        let embedding = target.embedding
        try target.loadParameters(values)
        #expect(target.namedParameters.map(\.name) == Self.expectedNames)
        #expect(zip(source.parameters, target.parameters).allSatisfy { $0.scalars == $1.scalars })
        // In place, and the tie holds: the head reads the loaded table.
        #expect(target.embedding === embedding && target.head.weight.scalars == source.embedding.scalars)
    }

    @Test func aTiedTensorLoadsUnderEitherName() throws {
        let model = try TinyModel()
        var values = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.tensor.detached()) })
        let table = Tensor.filled(7, shape: [5, 3])
        values["embedding"] = nil
        values["head.weight"] = table
        try model.loadParameters(values)
        #expect(model.embedding.scalars == table.scalars)
        values["embedding"] = Tensor.filled(8, shape: [5, 3])
        let conflict = try #require(throws: ModuleError.self) { try model.loadParameters(values) }
        #expect(conflict.description.contains("'embedding'") && conflict.description.contains("'head.weight'"))
        #expect(model.embedding.scalars == table.scalars)
    }

    @Test func loadingErrorsNameTheParameterAndChangeNothing() throws {
        let model = try TinyModel()
        let before = model.parameters.map(\.scalars)
        var values = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, Tensor.zeros(shape: $0.tensor.shape)) })

        values["layers.0.query.bias"] = Tensor.zeros(shape: [3])
        let unknown = try #require(throws: ModuleError.self) { try model.loadParameters(values) }
        #expect(unknown == .unknownParameter(name: "layers.0.query.bias", validNames: Self.expectedNames))
        #expect(unknown.description.contains("'layers.0.query.bias' is not a parameter"))
        try model.loadParameters(values, strict: false)
        #expect(model.parameters.allSatisfy { $0.scalars.allSatisfy { $0 == 0 } })
        for (parameter, scalars) in zip(model.parameters, before) { parameter.scalars = scalars }
        values["layers.0.query.bias"] = nil

        values["layers.1.scale"] = nil
        let missing = try #require(throws: ModuleError.self) { try model.loadParameters(values) }
        #expect(missing == .missingParameter(name: "layers.1.scale"))
        #expect(missing.description.contains("'layers.1.scale'"))
        values["layers.1.scale"] = Tensor.zeros(shape: [4])
        let shape = try #require(throws: ModuleError.self) { try model.loadParameters(values) }
        #expect(shape == .parameterShapeMismatch(name: "layers.1.scale", expected: [3], found: [4]))
        #expect(shape.description.contains("'layers.1.scale'") && shape.description.contains("[3]") && shape.description.contains("[4]"))
        #expect(model.parameters.map(\.scalars) == before)
    }
}
