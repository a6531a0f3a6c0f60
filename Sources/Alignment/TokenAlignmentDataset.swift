import CausalModels
import TokenTasks
import Transformers

/// A counterfactual dataset tokenized for a transformer: for `n` examples, the base prompt, one
/// source prompt per aligned variable, each prompt's named positions (template slots and `last`), and
/// the answer tokens.
///
/// As in `AlignmentDataset`, every example has a source for every aligned variable; where an example
/// does not intervene on a variable its source is the base itself, so its subspace is unchanged.
public struct TokenAlignmentDataset: CounterfactualLabels, Sendable {
    /// A label for reports: the intervened variables joined by `+`.
    public var name: String
    /// The aligned variables, in subspace order.
    public let variables: [String]
    /// Each example's base prompt ids.
    public let baseIDs: [[Int]]
    /// `sourceIDs[v][example]`: the source prompt of variable `v`.
    public let sourceIDs: [[[Int]]]
    /// Each base prompt's named positions (its slots and `last`).
    public let basePositions: [[String: Int]]
    /// `sourcePositions[v][example]`: the named positions of that source prompt.
    public let sourcePositions: [[[String: Int]]]
    /// The token id of each example's counterfactual answer.
    public let labels: [Int]
    /// The token id of each example's base answer (what the model says with no intervention).
    public let baseLabels: [Int]

    /// Tokenizes `dataset` with `encoder`, giving each of `variables` a source.
    /// - Throws: `AlignmentError.unalignedVariable` when the dataset intervenes on a variable not in
    ///   `variables`; `TokenTaskError` for an input the encoder cannot write; `CausalModelError`.
    public init(_ dataset: CounterfactualDataset, variables: [String], encoder: TokenTaskEncoder) throws {
        if let stray = dataset.intervenedVariables.first(where: { !variables.contains($0) }) {
            throw AlignmentError.unalignedVariable(stray, aligned: variables)
        }
        let output = encoder.task.output
        func answer(_ outputs: Assignment) throws -> Int {
            // The dataset holds the model's outputs: the task must verbalize one of them.
            guard let value = outputs[output], let id = encoder.answerIDs[value] else {
                throw TokenTaskError.noWord(task: encoder.task.name, role: "counterfactual output \(output)", value: outputs.description)
            }
            return id
        }
        var baseIDs: [[Int]] = [], basePositions: [[String: Int]] = [], labels: [Int] = [], baseLabels: [Int] = []
        var sourceIDs = [[[Int]]](repeating: [], count: variables.count)
        var sourcePositions = [[[String: Int]]](repeating: [], count: variables.count)
        for example in dataset.examples {
            let base = try encoder.example(example.base)
            baseIDs.append(base.ids)
            basePositions.append(base.positions)
            for (index, variable) in variables.enumerated() {
                let source = try example.sources[variable].map { try encoder.example($0) } ?? base
                sourceIDs[index].append(source.ids)
                sourcePositions[index].append(source.positions)
            }
            baseLabels.append(base.answer)
            labels.append(try answer(example.counterfactualOutput))
        }
        try self.init(name: dataset.intervenedVariables.joined(separator: "+"), variables: variables, baseIDs: baseIDs,
                      sourceIDs: sourceIDs, basePositions: basePositions, sourcePositions: sourcePositions,
                      labels: labels, baseLabels: baseLabels)
    }

    /// A dataset from its parts.
    /// - Throws: `AlignmentError.invalidConfiguration` when the parts' counts disagree.
    public init(name: String, variables: [String], baseIDs: [[Int]], sourceIDs: [[[Int]]], basePositions: [[String: Int]],
                sourcePositions: [[[String: Int]]], labels: [Int], baseLabels: [Int]) throws {
        let n = baseIDs.count
        guard sourceIDs.count == variables.count, sourcePositions.count == variables.count,
              sourceIDs.allSatisfy({ $0.count == n }), sourcePositions.allSatisfy({ $0.count == n }),
              basePositions.count == n, labels.count == n, baseLabels.count == n else {
            throw AlignmentError.invalidConfiguration(
                "token dataset \(name): \(n) bases, \(sourceIDs.map(\.count)) sources for \(variables.count) variables, \(labels.count) labels do not agree")
        }
        self.name = name
        self.variables = variables
        self.baseIDs = baseIDs
        self.sourceIDs = sourceIDs
        self.basePositions = basePositions
        self.sourcePositions = sourcePositions
        self.labels = labels
        self.baseLabels = baseLabels
    }

    /// The examples at `rows`, in that order.
    public func rows(_ rows: [Int]) throws -> TokenAlignmentDataset {
        try TokenAlignmentDataset(name: name, variables: variables, baseIDs: rows.map { baseIDs[$0] },
                                  sourceIDs: sourceIDs.map { ids in rows.map { ids[$0] } }, basePositions: rows.map { basePositions[$0] },
                                  sourcePositions: sourcePositions.map { positions in rows.map { positions[$0] } },
                                  labels: rows.map { labels[$0] }, baseLabels: rows.map { baseLabels[$0] })
    }

    /// The same examples aligned with `variable` alone.
    /// - Throws: `AlignmentError.unalignedVariable` when `variable` is not aligned here.
    public func restricted(to variable: String) throws -> TokenAlignmentDataset {
        guard let index = variables.firstIndex(of: variable) else { throw AlignmentError.unalignedVariable(variable, aligned: variables) }
        return try TokenAlignmentDataset(name: name, variables: [variable], baseIDs: baseIDs, sourceIDs: [sourceIDs[index]],
                                         basePositions: basePositions, sourcePositions: [sourcePositions[index]],
                                         labels: labels, baseLabels: baseLabels)
    }

    /// The examples of several datasets with the same variables, in one.
    /// - Throws: `AlignmentError.invalidConfiguration` when there are none or their variables differ.
    public static func concatenating(_ parts: [TokenAlignmentDataset]) throws -> TokenAlignmentDataset {
        guard let first = parts.first, parts.allSatisfy({ $0.variables == first.variables }) else {
            throw AlignmentError.invalidConfiguration("token datasets to join must exist and align the same variables")
        }
        return try TokenAlignmentDataset(
            name: parts.map(\.name).joined(separator: ", "), variables: first.variables, baseIDs: parts.flatMap(\.baseIDs),
            sourceIDs: first.variables.indices.map { v in parts.flatMap { $0.sourceIDs[v] } },
            basePositions: parts.flatMap(\.basePositions),
            sourcePositions: first.variables.indices.map { v in parts.flatMap { $0.sourcePositions[v] } },
            labels: parts.flatMap(\.labels), baseLabels: parts.flatMap(\.baseLabels))
    }

    /// The examples at `rows` as one intervention batch at `position`: base and source prompts each
    /// left-padded with `padToken` to their longest, the position of each prompt shifted by its padding.
    /// - Throws: `AlignmentError.invalidConfiguration` for a position a prompt lacks.
    public func batch(rows: [Int], position: TokenPosition, padToken: Int) throws -> TokenInterventionBatch {
        func padded(_ prompts: [[Int]], _ named: [[String: Int]]) throws -> (TokenBatch, [[Int]]) {
            let tokens = try TokenBatch.leftPadded(prompts, padToken: padToken)
            let positions = try prompts.indices.map { example in
                [try position.resolve(named: named[example], length: prompts[example].count) + tokens.leftPadding[example]]
            }
            return (tokens, positions)
        }
        let (base, positions) = try padded(rows.map { baseIDs[$0] }, rows.map { basePositions[$0] })
        let sources = try variables.indices.map { v in try padded(rows.map { sourceIDs[v][$0] }, rows.map { sourcePositions[v][$0] }) }
        return try TokenInterventionBatch(base: base, sources: sources.map(\.0), positions: positions, sourcePositions: sources.map(\.1),
                                          labels: rows.map { labels[$0] })
    }
}

/// One batch of a transformer alignment: base and source token batches, the positions the
/// intervention writes in each base row and reads in each source row, and the counterfactual answer
/// tokens (the labels of the logits at each base row's last position).
public struct TokenInterventionBatch: Sendable {
    /// `[batch, t]` base prompts.
    public let base: TokenBatch
    /// One `[batch, t_v]` token batch per aligned variable.
    public let sources: [TokenBatch]
    /// `positions[b]`: the base positions written (indices into the padded row).
    public let positions: [[Int]]
    /// `sourcePositions[v][b]`: the positions of source `v`'s row `b` read, paired with `positions[b]`.
    public let sourcePositions: [[[Int]]]
    /// The counterfactual answer token of each row.
    public let labels: [Int]

    /// - Throws: `AlignmentError.invalidConfiguration` when the batch sizes or position counts disagree.
    public init(base: TokenBatch, sources: [TokenBatch], positions: [[Int]], sourcePositions: [[[Int]]], labels: [Int]) throws {
        let n = base.batch
        guard sources.allSatisfy({ $0.batch == n }), positions.count == n, labels.count == n, sourcePositions.count == sources.count,
              sourcePositions.allSatisfy({ $0.count == n && zip($0, positions).allSatisfy { $0.count == $1.count } }) else {
            throw AlignmentError.invalidConfiguration(
                "an intervention batch of \(n) bases needs \(n) rows in each source, \(n) position lists paired one to one with each source's, and \(n) labels")
        }
        self.base = base
        self.sources = sources
        self.positions = positions
        self.sourcePositions = sourcePositions
        self.labels = labels
    }
}
