import Foundation
import Testing
import Tensors
@testable import Transformers

/// Inference over a batch runs its rows as parts side by side (`DataParallel`) when the backend
/// has two threads or more: the outputs must be exactly those of the whole pass.
@Suite struct BatchSplitTests {
    /// 6 rows of 30 ids: 180 tokens, enough for two parts of `minimumTokensPerPart`; rows 1 and 4 left-padded.
    static func batch(vocabulary: Int) throws -> TokenBatch {
        var generator = SeededGenerator(seed: 5)
        let rows = (0..<6).map { _ in (0..<30).map { _ in generator.nextInt(below: vocabulary) } }
        let mask = (0..<6).map { row in (0..<30).map { position in [1, 4].contains(row) && position < 3 * row ? 0 : 1 } }
        return try TokenBatch(rows, attentionMask: mask)
    }

    @Test func splitInferenceEqualsTheWholePass() throws {
        #expect(Transformer.minimumTokensPerPart * 2 <= 180)
        for model in try TinyModels.all() {
            model.freeze()
            let tokens = try Self.batch(vocabulary: model.configuration.vocabularySize)
            let selections: [LogitPositions] = [.all, .last, .positions([[0, 29], [5], [], [1, 2, 3], [29], [7]]), .none]
            for selection in selections {
                // Recording gradients (nothing to record: the model is frozen) runs the whole pass.
                let whole = try model(tokens, logits: selection)
                let split = try Tensor.withoutGradients { try model(tokens, logits: selection) }
                #expect(split.logits?.shape == whole.logits?.shape && split.logits?.scalars == whole.logits?.scalars,
                        "\(model.configuration.family) \(selection): logits differ")
                #expect(split.hiddenStates.shape == whole.hiddenStates.shape && split.hiddenStates.scalars == whole.hiddenStates.scalars,
                        "\(model.configuration.family) \(selection): hidden states differ")
            }
        }
    }

    @Test func anErrorNamesTheExampleInTheWholeBatch() throws {
        let model = try TinyModels.all()[1]
        var rows = (0..<6).map { _ in [Int](repeating: 1, count: 30) }
        rows[4][7] = 99
        let tokens = try TokenBatch(rows)
        let error = #expect(throws: TransformerError.self) { try Tensor.withoutGradients { try model(tokens) } }
        #expect("\(error!)".contains("example 4, position 7"), "\(error!)")
        #expect(throws: TransformerError.self) {
            try Tensor.withoutGradients { try model(Self.batch(vocabulary: 23), logits: .positions([[0]])) }
        }
    }
}
