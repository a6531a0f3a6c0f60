import Foundation

extension CausalModel {
    /// Runs an interchange intervention: the model runs on `base`, except that each variable
    /// named in `sources` takes the value it has when the model runs on that variable's source input.
    ///
    /// Several variables may be intervened on at once, each with its own source (or several with
    /// equal sources). The counterfactual outputs are `result.restricted(to: outputs)`.
    ///
    /// - Parameters:
    ///   - base: the input the counterfactual run starts from.
    ///   - sources: for each intervened variable, the input whose run provides its value.
    /// - Returns: every variable's value in the counterfactual run.
    /// - Throws: `CausalModelError` for an unknown variable or an invalid base or source input.
    public func interchange(base: Assignment, sources: [String: Assignment]) throws -> Assignment {
        var interventions = Assignment()
        for (variable, source) in sources.sorted(by: { $0.key < $1.key }) {
            _ = try self.variable(variable)
            interventions[variable] = try run(inputs: source).value(variable)
        }
        return try run(inputs: base, interventions: interventions)
    }
}
