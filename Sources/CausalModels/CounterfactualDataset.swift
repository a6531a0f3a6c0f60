import Foundation
import Randomness

/// Interchange interventions on a causal model with their counterfactual labels, drawn from a seed.
///
/// For DAS, each example gives the network a base input and one source input per intervened
/// variable; the counterfactual output is the label the intervened network should produce.
public struct CounterfactualDataset: Hashable, Sendable, JSONLinesRepresentable {
    /// The name of the model that produced the examples.
    public var model: String
    /// The seed the inputs were drawn from.
    public var seed: UInt64
    /// The variables every example intervenes on, each with its own source.
    public var intervenedVariables: [String]
    /// How the examples were drawn.
    public var options: CounterfactualOptions
    /// The examples, in the order they were drawn.
    public var examples: [CounterfactualExample]

    /// Creates a dataset from examples made elsewhere.
    public init(
        model: String,
        seed: UInt64,
        intervenedVariables: [String],
        options: CounterfactualOptions,
        examples: [CounterfactualExample]
    ) {
        self.model = model
        self.seed = seed
        self.intervenedVariables = intervenedVariables
        self.options = options
        self.examples = examples
    }

    /// Draws `count` examples: for each, a base input and one source input per intervened variable
    /// from `model`'s input distribution, with the base and counterfactual outputs.
    ///
    /// - Parameters:
    ///   - model: the causal model.
    ///   - intervenedVariables: the variables to intervene on; each gets its own source.
    ///   - count: the number of examples.
    ///   - seed: the seed of every draw; the same seed gives the same dataset, byte for byte.
    ///   - options: label balancing and whether unchanged examples are kept.
    /// - Throws: `DatasetError` for no intervened variable, a negative count, or a label that
    ///   `options.maximumDrawsPerExample` draws did not produce; `CausalModelError` for an unknown
    ///   or repeated variable.
    public init(
        sampling model: CausalModel,
        intervening intervenedVariables: [String],
        count: Int,
        seed: UInt64,
        options: CounterfactualOptions = CounterfactualOptions()
    ) throws {
        guard !intervenedVariables.isEmpty else { throw DatasetError.noIntervenedVariables }
        guard count >= 0 else { throw DatasetError.negativeCount(count) }
        for name in intervenedVariables {
            _ = try model.variable(name)
        }
        guard Set(intervenedVariables).count == intervenedVariables.count else {
            throw CausalModelError.invalidArgument(
                name: "the intervened variables",
                value: intervenedVariables.joined(separator: ", "),
                expected: "each variable once"
            )
        }
        var generator = SeededGenerator(seed: seed)
        let targets = try Self.targetLabels(of: model, count: count, options: options, using: &generator)
        let examples = try targets.map { target in
            try Self.drawExample(of: model, intervening: intervenedVariables, label: target, options: options, using: &generator)
        }
        self.init(model: model.name, seed: seed, intervenedVariables: intervenedVariables, options: options, examples: examples)
    }

    /// The fraction of examples whose counterfactual output differs from the base output
    /// (0 for an empty dataset). An IIA is only meaningful on those examples: on the others a
    /// network that ignores the intervention is right by default.
    public var changedFraction: Double {
        examples.isEmpty ? 0 : Double(examples.count { $0.changesOutput }) / Double(examples.count)
    }

    /// How many examples have each counterfactual output.
    public var labelCounts: [Assignment: Int] {
        examples.reduce(into: [:]) { counts, example in counts[example.counterfactualOutput, default: 0] += 1 }
    }

    /// A header line (with the changed fraction), then one example object per line.
    public func jsonLines() throws -> Data {
        let header = DatasetHeader(
            kind: Self.kind,
            model: model,
            seed: seed,
            count: examples.count,
            intervenedVariables: intervenedVariables,
            options: options,
            changedFraction: changedFraction
        )
        return try JSONLines.encode(header: header, rows: examples)
    }

    /// Reads what `jsonLines()` writes.
    ///
    /// - Throws: `DatasetError` naming the first line that cannot be read.
    public init(jsonLines: Data) throws {
        let (header, examples) = try JSONLines.decode(CounterfactualExample.self, kind: Self.kind, from: jsonLines)
        guard let intervenedVariables = header.intervenedVariables, let options = header.options else {
            throw DatasetError.malformedLine(number: 1, reason: "a counterfactual dataset header needs 'intervenedVariables' and 'options'")
        }
        self.init(model: header.model, seed: header.seed, intervenedVariables: intervenedVariables, options: options, examples: examples)
    }

    private static let kind = "counterfactual"

    /// The counterfactual output each example must have, in drawing order: `nil` (any) unless
    /// labels are balanced; then each output class equally often, in a shuffled order.
    private static func targetLabels(
        of model: CausalModel,
        count: Int,
        options: CounterfactualOptions,
        using generator: inout SeededGenerator
    ) throws -> [Assignment?] {
        guard options.balancesLabels else { return Array(repeating: nil, count: count) }
        let classes = generator.permutation(of: try model.allOutputs())
        let targets = (0..<count).map { classes[$0 % classes.count] }
        return generator.permutation(of: targets)
    }

    /// Draws base and sources until an example fits the target label and the options.
    private static func drawExample(
        of model: CausalModel,
        intervening intervenedVariables: [String],
        label target: Assignment?,
        options: CounterfactualOptions,
        using generator: inout SeededGenerator
    ) throws -> CounterfactualExample {
        for _ in 0..<max(options.maximumDrawsPerExample, 0) {
            let base = try model.sampleInput(using: &generator)
            var sources = [String: Assignment]()
            for name in intervenedVariables {
                sources[name] = try model.sampleInput(using: &generator)
            }
            let example = CounterfactualExample(
                base: base,
                sources: sources,
                baseOutput: try model.run(inputs: base).restricted(to: model.outputs),
                counterfactualOutput: try model.interchange(base: base, sources: sources).restricted(to: model.outputs)
            )
            let changeIsAcceptable = options.keepsUnchangedExamples || example.changesOutput
            let labelIsWanted = target == nil || target == example.counterfactualOutput
            if changeIsAcceptable && labelIsWanted {
                return example
            }
        }
        let label = target.map { "counterfactual output \($0)" } ?? "an example"
        let change = options.keepsUnchangedExamples ? "" : " that the intervention on \(intervenedVariables.joined(separator: ", ")) changes"
        throw DatasetError.samplingStalled(attempts: options.maximumDrawsPerExample, wanted: label + change)
    }
}
