import Foundation
import Randomness

extension CausalTask {
    /// Hierarchical equality (Premack's task, as in the DAS papers): four objects `W`, `X`, `Y`, `Z`;
    /// `WX = (W == X)`, `YZ = (Y == Z)`, output `O = (WX == YZ)`.
    ///
    /// Objects are symbols `o0`, `o1`, … from a vocabulary of `vocabularySize`. The model's input
    /// distribution makes each pair equal with probability 1/2 (the first object uniform, the
    /// second the same object or a uniformly chosen different one), so `WX`, `YZ` and `O` are each
    /// balanced; uniform draws would make equal pairs rare. For a network, every object is fed as
    /// its random embedding (components uniform in [-1, 1)), the same table for all four positions,
    /// so the input is `4 × embeddingDimension` features; the classes are `O=false` (0) and `O=true` (1).
    ///
    /// - Parameters:
    ///   - vocabularySize: the number of distinct objects, 2 or more (default 100).
    ///   - embeddingDimension: the length of each object's vector, 1 or more (default 4).
    ///   - embeddingSeed: the seed of the embedding table; record it next to results.
    /// - Throws: `CausalModelError.invalidArgument` for a vocabulary below 2 or a dimension below 1.
    public static func hierarchicalEquality(
        vocabularySize: Int = 100,
        embeddingDimension: Int = 4,
        embeddingSeed: UInt64 = 0
    ) throws -> CausalTask {
        guard vocabularySize >= 2 else {
            throw CausalModelError.invalidArgument(name: "the vocabulary size", value: "\(vocabularySize)", expected: "2 or more, so that a pair can differ")
        }
        let objects = (0..<vocabularySize).map { "o\($0)" }
        let object = Domain.symbols(objects)
        func equality(of first: String, _ second: String) -> Mechanism {
            { parents in .bool(try parents.value(first) == parents.value(second)) }
        }
        let model = try CausalModel(
            name: "hierarchical-equality",
            variables: [
                Variable("W", domain: object),
                Variable("X", domain: object),
                Variable("Y", domain: object),
                Variable("Z", domain: object),
                Variable("WX", domain: .booleans, parents: ["W", "X"], mechanism: equality(of: "W", "X")),
                Variable("YZ", domain: .booleans, parents: ["Y", "Z"], mechanism: equality(of: "Y", "Z")),
                Variable("O", domain: .booleans, parents: ["WX", "YZ"], mechanism: equality(of: "WX", "YZ")),
            ],
            inputSampler: { generator in
                let (w, x) = drawPair(from: objects, using: &generator)
                let (y, z) = drawPair(from: objects, using: &generator)
                return ["W": .symbol(w), "X": .symbol(x), "Y": .symbol(y), "Z": .symbol(z)]
            }
        )
        let embedding = try FeatureEncoding.randomEmbedding(of: objects, dimension: embeddingDimension, seed: embeddingSeed)
        let encoding = try NetworkEncoding(model: model, featureEncodings: ["W": embedding, "X": embedding, "Y": embedding, "Z": embedding])
        return CausalTask(
            model: model,
            encoding: encoding,
            summary: "O = ((W == X) == (Y == Z)) over \(vocabularySize) objects embedded in \(embeddingDimension) dimensions (embedding seed \(embeddingSeed))"
        )
    }

    /// Two objects, equal with probability 1/2; when unequal, the second is uniform among the others.
    private static func drawPair(from objects: [String], using generator: inout SeededGenerator) -> (String, String) {
        let first = generator.nextInt(below: objects.count)
        guard generator.nextUniform() >= 0.5 else { return (objects[first], objects[first]) }
        let other = generator.nextInt(below: objects.count - 1)
        return (objects[first], objects[other < first ? other : other + 1])
    }
}
