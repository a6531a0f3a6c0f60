import Alignment
import Foundation

/// Writes a `TokenAlignmentDataset` as the JSON Lines file the pyvene side reads
/// (`bench/reference/pyvene_transformer_das.py`, schema `interchange.token-task-counterfactuals`, version 1):
/// a header line, then one line per example with its base and source token ids, each prompt's named
/// positions (template slots and `last`), and the counterfactual and base answer tokens.
enum TokenCounterfactualFile {
    static let schema = "interchange.token-task-counterfactuals"

    /// The file's text: `{"schema", "version": 1, "task", "variables", "count", "answerIds", "changedFraction"}`,
    /// then `{"base": [ids], "sources": [[ids], ...], "basePositions": {...}, "sourcePositions": [{...}, ...],
    /// "label": id, "baseLabel": id}` per example, one source per aligned variable.
    static func text(of data: TokenAlignmentDataset, task: String, answerIDs: [Int]) throws -> Data {
        var lines: [Any] = [[
            "schema": schema, "version": 1, "task": task, "variables": data.variables, "count": data.count,
            "answerIds": answerIDs.sorted(), "changedFraction": data.changedFraction,
        ] as [String: Any]]
        for example in 0..<data.count {
            lines.append([
                "base": data.baseIDs[example],
                "sources": data.variables.indices.map { data.sourceIDs[$0][example] },
                "basePositions": data.basePositions[example],
                "sourcePositions": data.variables.indices.map { data.sourcePositions[$0][example] },
                "label": data.labels[example],
                "baseLabel": data.baseLabels[example],
            ] as [String: Any])
        }
        var text = Data()
        for line in lines {
            text.append(try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]))
            text.append(UInt8(ascii: "\n"))
        }
        return text
    }

    /// Writes `data` to `url` atomically.
    static func write(_ data: TokenAlignmentDataset, task: String, answerIDs: [Int], to url: URL) throws {
        do {
            try text(of: data, task: task, answerIDs: answerIDs).write(to: url, options: .atomic)
        } catch {
            throw ValidationFailure("cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
