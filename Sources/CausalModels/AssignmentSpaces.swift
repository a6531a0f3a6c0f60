import Foundation

extension CausalModel {
    /// The number of input assignments: the product of the inputs' domain sizes
    /// (`Int.max` when it overflows).
    public var inputSpaceSize: Int {
        spaceSize(of: variables.filter(\.isInput))
    }

    /// Every input assignment, in truth-table order: the first input varies slowest, each input's
    /// values in its domain's order.
    ///
    /// - Throws: `CausalModelError.tooManyValues` when there are more than `limit` assignments.
    public func allInputs(limit: Int = 1_000_000) throws -> [Assignment] {
        try allAssignments(of: variables.filter(\.isInput), called: "the input space of model '\(name)'", limit: limit)
    }

    /// Every assignment of the output variables that their domains allow, in the same order as
    /// `allInputs(limit:)`; some may never be produced by the mechanisms.
    ///
    /// - Throws: `CausalModelError.tooManyValues` when there are more than `limit` assignments.
    public func allOutputs(limit: Int = 1_000_000) throws -> [Assignment] {
        let outputVariables = variables.filter { outputs.contains($0.name) }
        return try allAssignments(of: outputVariables, called: "the output space of model '\(name)'", limit: limit)
    }

    private func spaceSize(of variables: [Variable]) -> Int {
        variables.reduce(1) { size, variable in
            let (product, overflow) = size.multipliedReportingOverflow(by: variable.domain.count)
            return overflow ? .max : product
        }
    }

    private func allAssignments(of variables: [Variable], called name: String, limit: Int) throws -> [Assignment] {
        let size = spaceSize(of: variables)
        guard size <= limit else {
            throw CausalModelError.tooManyValues(of: name, count: size, limit: limit)
        }
        var assignments: [Assignment] = [[:]]
        for variable in variables {
            let values = try variable.domain.values(limit: limit)
            assignments = assignments.flatMap { partial in
                values.map { value in
                    var extended = partial
                    extended[variable.name] = value
                    return extended
                }
            }
        }
        return assignments
    }
}
