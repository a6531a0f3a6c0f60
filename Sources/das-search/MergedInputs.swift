import CausalModels
import Foundation
import Interventions
import Networks
import Tensors

/// For tasks with few inputs (boolean AND has 4), which inputs a hidden layer maps to the same
/// representation. A layer that merges two inputs differing in an aligned variable has lost that
/// variable there: no intervention at that layer can restore it, so IIA stays below 1 whatever
/// the search does. This says plainly when a low IIA is the network's, not the search's.
enum MergedInputs {
    /// The largest input space checked (every input is run through the network).
    static let maximumInputs = 256

    /// One line per site that merges inputs, naming the merged groups; empty when every site keeps
    /// every input apart or the input space is too large to list.
    static func report(network: MultilayerPerceptron, task: CausalTask, sites: [String]) throws -> [String] {
        guard let inputs = try? task.model.allInputs(limit: maximumInputs) else { return [] }
        let features = try Tensor(shape: [inputs.count, task.encoding.featureCount], scalars: inputs.flatMap { try task.encoding.encode(input: $0) })
        var lines: [String] = []
        for name in sites {
            let site = try Site(parsing: name)
            let representation = try Tensor.withoutGradients { try network.representation(at: site, for: features) }
            let width = representation.shape.last ?? 0
            // Representations equal to 1e-4 of their scale count as one.
            let scale = max(representation.scalars.map(abs).max() ?? 0, 1e-6)
            var groups: [[Int]: [Int]] = [:]
            let scalars = representation.scalars
            for row in inputs.indices {
                let values: ArraySlice<Float> = scalars[(row * width)..<((row + 1) * width)]
                let key: [Int] = values.map { (value: Float) -> Int in Int((value / scale * 10_000).rounded()) }
                groups[key, default: []].append(row)
            }
            let merged = groups.values.filter { $0.count > 1 }.sorted { $0[0] < $1[0] }
            guard !merged.isEmpty else { continue }
            let listed = merged.map { group in group.map { "(\(inputs[$0]))" }.joined(separator: " = ") }.joined(separator: "; ")
            lines.append("\(name) maps the \(inputs.count) inputs to \(groups.count) distinct representations: \(listed)")
        }
        return lines
    }
}
