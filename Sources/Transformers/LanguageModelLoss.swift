import Interventions
import Tensors

extension Transformer {
    /// The mean next-token cross-entropy, HF's convention: `labels` has the ids' shape, the logits
    /// at position `t` predict `labels[t + 1]`, and labels equal to `ignoreIndex` (−100) count for
    /// nothing. Head logits are computed only at the positions whose next label counts.
    ///
    /// - Parameters:
    ///   - tokens: the inputs `[batch, t]`.
    ///   - labels: per example, `t` labels (usually the ids themselves, −100 where no loss is wanted).
    ///   - plan: interventions applied during the pass (ReFT trains through them).
    /// - Returns: a scalar; 0 with no gradient when no label counts.
    /// - Throws: `TransformerError.invalidInput` when the labels' shape differs from the ids';
    ///   `TensorError` for a label outside the vocabulary; the forward pass's errors.
    public func languageModelLoss(
        _ tokens: TokenBatch, labels: [[Int]], plan: InterventionPlan? = nil, ignoreIndex: Int = -100
    ) throws -> Tensor {
        guard labels.count == tokens.batch, labels.allSatisfy({ $0.count == tokens.length }) else {
            throw TransformerError.invalidInput("labels must have the ids' shape [\(tokens.batch), \(tokens.length)]")
        }
        let positions = labels.map { row in (0..<max(0, row.count - 1)).filter { row[$0 + 1] != ignoreIndex } }
        let targets = zip(labels, positions).flatMap { row, kept in kept.map { row[$0 + 1] } }
        let logits = try self(tokens, plan: plan, logits: .positions(positions)).logits!
        return try Tensor.crossEntropy(logits: logits, labels: targets, ignoreIndex: ignoreIndex)
    }
}
