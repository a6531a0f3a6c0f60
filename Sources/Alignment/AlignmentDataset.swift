import CausalModels
import Foundation
import Networks
import Tensors

/// A counterfactual dataset encoded for a network: for `n` examples, the base inputs, one source
/// input per aligned variable, and the counterfactual labels.
///
/// Every example has a source for every aligned variable, in `variables` order (the order of the
/// rotated subspaces); where an example does not intervene on a variable, that source is the base
/// itself, so its subspace is left unchanged. Datasets that intervene on different sets of
/// variables can then be mixed in one batch.
public struct AlignmentDataset: CounterfactualLabels {
    /// A label for reports: the intervened variables joined by `+`, e.g. `WX+YZ`.
    public var name: String
    /// The aligned variables, in subspace order.
    public let variables: [String]
    /// `[n, features]`.
    public let baseInputs: Tensor
    /// One `[n, features]` tensor per aligned variable.
    public let sourceInputs: [Tensor]
    /// The class index of each example's counterfactual output.
    public let labels: [Int]
    /// The class index of each example's base output (what the network gives with no intervention).
    public let baseLabels: [Int]

    /// Encodes `dataset` with `encoding`, giving each of `variables` a source.
    /// - Throws: `AlignmentError.unalignedVariable` when the dataset intervenes on a variable not in
    ///   `variables`; `CausalModelError` for inputs or outputs the encoding rejects.
    public init(_ dataset: CounterfactualDataset, variables: [String], encoding: NetworkEncoding) throws {
        if let stray = dataset.intervenedVariables.first(where: { !variables.contains($0) }) {
            throw AlignmentError.unalignedVariable(stray, aligned: variables)
        }
        let width = encoding.featureCount
        var base: [Float] = [], sources = [[Float]](repeating: [], count: variables.count)
        var labels: [Int] = [], baseLabels: [Int] = []
        for example in dataset.examples {
            let encodedBase = try encoding.encode(input: example.base)
            base += encodedBase
            for (index, variable) in variables.enumerated() {
                sources[index] += try example.sources[variable].map { try encoding.encode(input: $0) } ?? encodedBase
            }
            labels.append(try encoding.classIndex(of: example.counterfactualOutput))
            baseLabels.append(try encoding.classIndex(of: example.baseOutput))
        }
        let n = dataset.examples.count
        name = dataset.intervenedVariables.joined(separator: "+")
        self.variables = variables
        baseInputs = try Tensor(shape: [n, width], scalars: base)
        sourceInputs = try sources.map { try Tensor(shape: [n, width], scalars: $0) }
        self.labels = labels
        self.baseLabels = baseLabels
    }

    /// A dataset from encoded parts.
    /// - Throws: `AlignmentError.invalidConfiguration` when the parts' sizes disagree.
    public init(name: String, variables: [String], baseInputs: Tensor, sourceInputs: [Tensor], labels: [Int], baseLabels: [Int]) throws {
        guard baseInputs.rank == 2, sourceInputs.count == variables.count,
              sourceInputs.allSatisfy({ $0.shape == baseInputs.shape }),
              labels.count == baseInputs.shape[0], baseLabels.count == labels.count else {
            throw AlignmentError.invalidConfiguration(
                "dataset \(name): base \(baseInputs.shape), \(sourceInputs.count) sources for \(variables.count) variables, \(labels.count) labels do not agree")
        }
        self.name = name
        self.variables = variables
        self.baseInputs = baseInputs
        self.sourceInputs = sourceInputs
        self.labels = labels
        self.baseLabels = baseLabels
    }

    /// The examples of several datasets (with the same variables) in one, named by their names.
    /// - Throws: `AlignmentError.invalidConfiguration` when their variables or widths differ.
    public static func concatenating(_ parts: [AlignmentDataset]) throws -> AlignmentDataset {
        guard let first = parts.first, parts.allSatisfy({ $0.variables == first.variables }) else {
            throw AlignmentError.invalidConfiguration("datasets to join must exist and align the same variables")
        }
        return try AlignmentDataset(
            name: parts.map(\.name).joined(separator: ", "), variables: first.variables,
            baseInputs: Tensor.concatenate(parts.map(\.baseInputs), alongAxis: 0),
            sourceInputs: first.variables.indices.map { index in try Tensor.concatenate(parts.map { $0.sourceInputs[index] }, alongAxis: 0) },
            labels: parts.flatMap(\.labels), baseLabels: parts.flatMap(\.baseLabels))
    }

    /// The same examples aligned with `variable` alone: only its source is kept.
    /// - Throws: `AlignmentError.unalignedVariable` when `variable` is not one of `variables`.
    public func restricted(to variable: String) throws -> AlignmentDataset {
        guard let index = variables.firstIndex(of: variable) else { throw AlignmentError.unalignedVariable(variable, aligned: variables) }
        return try AlignmentDataset(name: name, variables: [variable], baseInputs: baseInputs, sourceInputs: [sourceInputs[index]],
                                    labels: labels, baseLabels: baseLabels)
    }

    /// The examples at `rows`, in that order.
    public func rows(_ rows: [Int]) throws -> AlignmentDataset {
        try AlignmentDataset(name: name, variables: variables, baseInputs: baseInputs.gatherRows(rows),
                             sourceInputs: sourceInputs.map { try $0.gatherRows(rows) },
                             labels: rows.map { labels[$0] }, baseLabels: rows.map { baseLabels[$0] })
    }
}

extension AlignmentDataset {
    /// Writes the dataset in the exchange format the reference scripts read: a safetensors file
    /// with `base` `[n, features]`, `sources` `[variables, n, features]` (F32), `labels` `[n]` and
    /// `base_labels` `[n]` (I64), and metadata `variables`, `subspace_sizes`, `site` and `name`.
    public func write(to url: URL, site: String, subspaceSizes: [Int]) throws {
        let stacked = try Tensor.concatenate(sourceInputs, alongAxis: 0).reshaped(to: [variables.count] + baseInputs.shape)
        try SafetensorsArchive(
            tensors: ["base": baseInputs, "sources": stacked],
            integerTensors: ["labels": .init(shape: [count], values: labels), "base_labels": .init(shape: [count], values: baseLabels)],
            metadata: ["variables": variables.joined(separator: ","), "subspace_sizes": subspaceSizes.map(String.init).joined(separator: ","),
                       "site": site, "name": name]
        ).write(to: url)
    }
}

/// Counterfactual examples with the label the intervention should give and the one the unintervened
/// model gives: the MLP datasets (class indices) and the token datasets (answer token ids).
public protocol CounterfactualLabels {
    /// Each example's counterfactual label.
    var labels: [Int] { get }
    /// Each example's base label (no intervention).
    var baseLabels: [Int] { get }
}

extension CounterfactualLabels {
    /// The number of examples.
    public var count: Int { labels.count }

    /// The fraction of examples whose label the intervention changes: IIA means something only on those.
    public var changedFraction: Double {
        count == 0 ? 0 : Double(zip(labels, baseLabels).filter { $0 != $1 }.count) / Double(count)
    }
}
