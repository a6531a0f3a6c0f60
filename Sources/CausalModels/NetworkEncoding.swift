import Foundation

/// How a causal model's inputs and outputs meet a network: each input assignment becomes one
/// `[Float]` feature vector, each output assignment one class index.
///
/// A trainer needs nothing else about the model: for a `CounterfactualExample`, the network
/// reads `encode(input: example.base)` and `encode(input: example.sources[v]!)` for each
/// intervened variable `v`, and is trained towards `classIndex(of: example.counterfactualOutput)`.
///
/// Features are laid out input by input, in the model's input order; `featureRanges` tells where
/// each input's features lie. Classes are the output assignments the output domains allow, in
/// the order of `CausalModel.allOutputs(limit:)`; for one boolean output, `false` is 0 and `true` is 1.
public struct NetworkEncoding: Sendable {
    /// The input variables, in the order their features are laid out.
    public let inputs: [String]
    /// How each input is encoded.
    public let featureEncodings: [String: FeatureEncoding]
    /// Where each input's features lie in the feature vector.
    public let featureRanges: [String: Range<Int>]
    /// The length of every feature vector.
    public let featureCount: Int
    /// The output variables a class is made of.
    public let outputs: [String]
    /// The output assignment of each class, by class index.
    public let outputClasses: [Assignment]

    private let domains: [String: Domain]
    private let classIndexByOutput: [Assignment: Int]

    /// Creates the encoding of `model`'s inputs and outputs.
    ///
    /// - Parameters:
    ///   - model: the causal model.
    ///   - featureEncodings: encodings for some inputs; the others get binary (booleans) or
    ///     one-hot (integers, symbols) features, componentwise for vectors.
    ///   - classLimit: the most output classes allowed.
    /// - Throws: `CausalModelError` for an encoding of a non-input or one that does not fit its
    ///   domain, or more than `classLimit` output classes.
    public init(model: CausalModel, featureEncodings: [String: FeatureEncoding] = [:], classLimit: Int = 10_000) throws {
        for name in featureEncodings.keys.sorted() {
            guard try model.variable(name).isInput else {
                throw CausalModelError.invalidEncoding(variable: name, reason: "it is not an input; only inputs are fed to a network")
            }
        }
        var encodings = [String: FeatureEncoding]()
        var ranges = [String: Range<Int>]()
        var domains = [String: Domain]()
        var offset = 0
        for input in model.variables where input.isInput {
            let encoding = featureEncodings[input.name] ?? .standard(for: input.domain)
            let width = try encoding.width(for: input.domain, of: input.name)
            encodings[input.name] = encoding
            ranges[input.name] = offset..<(offset + width)
            domains[input.name] = input.domain
            offset += width
        }
        for output in model.outputs {
            domains[output] = try model.variable(output).domain
        }
        self.inputs = model.inputs
        self.featureEncodings = encodings
        self.featureRanges = ranges
        self.featureCount = offset
        self.outputs = model.outputs
        self.outputClasses = try model.allOutputs(limit: classLimit)
        self.classIndexByOutput = Dictionary(uniqueKeysWithValues: outputClasses.enumerated().map { ($0.element, $0.offset) })
        self.domains = domains
    }

    /// The number of output classes.
    public var classCount: Int { outputClasses.count }

    /// The feature vector of an input assignment, `featureCount` long.
    ///
    /// - Throws: `CausalModelError` for a missing input or a value outside its domain.
    public func encode(input: Assignment) throws -> [Float] {
        var features = [Float]()
        features.reserveCapacity(featureCount)
        for name in inputs {
            let value = try input.value(name)
            let domain = domains[name]!
            guard domain.contains(value) else {
                throw CausalModelError.valueOutsideDomain(variable: name, value: value, domain: domain)
            }
            features += featureEncodings[name]!.features(of: value, in: domain)
        }
        return features
    }

    /// The class index of an output assignment; variables other than the outputs are ignored,
    /// so a whole run's result can be passed.
    ///
    /// - Throws: `CausalModelError` for a missing output or a value outside its domain.
    public func classIndex(of output: Assignment) throws -> Int {
        for name in outputs {
            let value = try output.value(name)
            let domain = domains[name]!
            guard domain.contains(value) else {
                throw CausalModelError.valueOutsideDomain(variable: name, value: value, domain: domain)
            }
        }
        return classIndexByOutput[output.restricted(to: outputs)]!
    }
}
