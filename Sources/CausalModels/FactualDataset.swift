import Foundation
import Randomness

/// Inputs of a causal model with their outputs, drawn from a seed.
public struct FactualDataset: Hashable, Sendable, JSONLinesRepresentable {
    /// The name of the model that produced the examples.
    public var model: String
    /// The seed the inputs were drawn from.
    public var seed: UInt64
    /// The examples, in the order they were drawn.
    public var examples: [FactualExample]

    /// Creates a dataset from examples made elsewhere.
    public init(model: String, seed: UInt64, examples: [FactualExample]) {
        self.model = model
        self.seed = seed
        self.examples = examples
    }

    /// Draws `count` inputs from `model`'s input distribution and runs the model on each.
    ///
    /// - Throws: `DatasetError.negativeCount`, or `CausalModelError` from the model.
    public init(sampling model: CausalModel, count: Int, seed: UInt64) throws {
        guard count >= 0 else { throw DatasetError.negativeCount(count) }
        var generator = SeededGenerator(seed: seed)
        let examples = try (0..<count).map { _ in
            let input = try model.sampleInput(using: &generator)
            return FactualExample(input: input, output: try model.run(inputs: input).restricted(to: model.outputs))
        }
        self.init(model: model.name, seed: seed, examples: examples)
    }

    /// A header line, then one `{"input": …, "output": …}` object per line.
    public func jsonLines() throws -> Data {
        let header = DatasetHeader(kind: Self.kind, model: model, seed: seed, count: examples.count)
        return try JSONLines.encode(header: header, rows: examples)
    }

    /// Reads what `jsonLines()` writes.
    ///
    /// - Throws: `DatasetError` naming the first line that cannot be read.
    public init(jsonLines: Data) throws {
        let (header, examples) = try JSONLines.decode(FactualExample.self, kind: Self.kind, from: jsonLines)
        self.init(model: header.model, seed: header.seed, examples: examples)
    }

    private static let kind = "factual"
}
