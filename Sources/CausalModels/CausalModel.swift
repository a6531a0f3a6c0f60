import Foundation
import Randomness

/// Draws one input assignment; used by models whose inputs are not uniform and independent.
public typealias InputSampler = @Sendable (_ generator: inout SeededGenerator) throws -> Assignment

/// A causal model: a directed acyclic graph of named variables, each with a finite domain and,
/// unless it is an input, a mechanism computing it from its parents.
///
/// It is the hypothesis a researcher tests against a network. Inputs are the variables without
/// parents, outputs those without children. Construction validates the graph; running evaluates
/// the mechanisms in topological order, with interventions fixing chosen variables.
public struct CausalModel: Sendable {
    /// A short name, written into datasets and drawings.
    public let name: String
    /// The variables, in the order they were declared.
    public let variables: [Variable]
    /// The names of the input variables (no parents), in declaration order.
    public let inputs: [String]
    /// The names of the output variables (no children), in declaration order.
    public let outputs: [String]
    /// Every variable name in an order where parents come before children; among variables free
    /// to go in either order, the one declared first comes first.
    public let topologicalOrder: [String]

    private let indexByName: [String: Int]
    /// The children of each variable, in declaration order.
    let childrenByName: [String: [String]]
    let inputSampler: InputSampler?

    /// Creates and validates a model.
    ///
    /// - Parameters:
    ///   - name: a short name for datasets and drawings.
    ///   - variables: the variables, in any order.
    ///   - inputSampler: the distribution `sampleInput(using:)` draws from; `nil` draws every input
    ///     uniformly and independently from its domain.
    /// - Throws: `CausalModelError` for a duplicate name, an empty domain, an unknown or repeated
    ///   parent, a non-input without a mechanism, an input with a mechanism, or a cycle (named).
    public init(name: String, variables: [Variable], inputSampler: InputSampler? = nil) throws {
        var indexByName = [String: Int]()
        for (index, variable) in variables.enumerated() {
            guard indexByName.updateValue(index, forKey: variable.name) == nil else {
                throw CausalModelError.duplicateVariable(variable.name)
            }
        }
        var childrenByName = Dictionary(uniqueKeysWithValues: variables.map { ($0.name, [String]()) })
        for variable in variables {
            guard !variable.domain.isEmpty else {
                throw CausalModelError.emptyDomain(variable: variable.name, domain: variable.domain)
            }
            var seenParents = Set<String>()
            for parent in variable.parents {
                guard indexByName[parent] != nil else {
                    throw CausalModelError.unknownParent(variable: variable.name, parent: parent)
                }
                guard seenParents.insert(parent).inserted else {
                    throw CausalModelError.duplicateParent(variable: variable.name, parent: parent)
                }
                childrenByName[parent, default: []].append(variable.name)
            }
            if variable.isInput, variable.mechanism != nil {
                throw CausalModelError.mechanismOnInput(variable: variable.name)
            }
            if !variable.isInput, variable.mechanism == nil {
                throw CausalModelError.missingMechanism(variable: variable.name)
            }
        }
        self.name = name
        self.variables = variables
        self.indexByName = indexByName
        self.childrenByName = childrenByName
        self.inputs = variables.filter(\.isInput).map(\.name)
        self.outputs = variables.map(\.name).filter { childrenByName[$0]!.isEmpty }
        self.topologicalOrder = try Self.topologicalOrder(of: variables, indexByName: indexByName)
        self.inputSampler = inputSampler
    }

    /// The variable called `name`.
    ///
    /// - Throws: `CausalModelError.unknownVariable` naming the model's variables.
    public func variable(_ name: String) throws -> Variable {
        guard let index = indexByName[name] else {
            throw CausalModelError.unknownVariable(name, known: variables.map(\.name))
        }
        return variables[index]
    }

    /// Runs the model: every variable's value, computed in topological order.
    ///
    /// - Parameters:
    ///   - inputs: a value for every input that is not intervened on.
    ///   - interventions: values that fix variables (inputs included) and cut their mechanisms.
    /// - Returns: an assignment holding every variable.
    /// - Throws: `CausalModelError` for a missing input, an unknown variable, an input given for a
    ///   non-input, or a value (given, fixed or computed) outside its variable's domain.
    public func run(inputs: Assignment, interventions: Assignment = [:]) throws -> Assignment {
        try checkGivenInputs(inputs)
        for (name, value) in interventions.values.sorted(by: { $0.key < $1.key }) {
            try check(value, of: try variable(name))
        }
        var result = Assignment()
        for name in topologicalOrder {
            let variable = try variable(name)
            if let fixed = interventions[name] {
                result[name] = fixed
            } else if let mechanism = variable.mechanism {
                let value: Value
                do {
                    value = try mechanism(result.restricted(to: variable.parents))
                } catch {
                    throw CausalModelError.mechanismFailed(variable: name, underlying: error)
                }
                try check(value, of: variable)
                result[name] = value
            } else {
                guard let given = inputs[name] else { throw CausalModelError.missingInput(name) }
                result[name] = given
            }
        }
        return result
    }

    /// Throws unless every variable `inputs` names is an input and its value lies in its domain.
    func checkGivenInputs(_ inputs: Assignment) throws {
        for (name, value) in inputs.values.sorted(by: { $0.key < $1.key }) {
            let variable = try variable(name)
            guard variable.isInput else { throw CausalModelError.notAnInput(name) }
            try check(value, of: variable)
        }
    }

    /// Throws unless `value` lies in the domain of `variable`.
    func check(_ value: Value, of variable: Variable) throws {
        guard variable.domain.contains(value) else {
            throw CausalModelError.valueOutsideDomain(variable: variable.name, value: value, domain: variable.domain)
        }
    }

    /// Kahn's algorithm, taking the earliest-declared ready variable first; on a cycle, names it.
    private static func topologicalOrder(of variables: [Variable], indexByName: [String: Int]) throws -> [String] {
        var waitingParents = variables.map { Set($0.parents) }
        var done = [Bool](repeating: false, count: variables.count)
        var order = [String]()
        while order.count < variables.count {
            guard let next = waitingParents.indices.first(where: { !done[$0] && waitingParents[$0].isEmpty }) else {
                throw CausalModelError.cycle(cycle(among: variables, excluding: done, indexByName: indexByName))
            }
            done[next] = true
            order.append(variables[next].name)
            for index in waitingParents.indices {
                waitingParents[index].remove(variables[next].name)
            }
        }
        return order
    }

    /// A directed cycle among the variables Kahn's algorithm could not order, as
    /// `[first, …, first]` in the direction of the arrows, starting from its earliest-declared variable.
    ///
    /// Every such variable has a parent that is also unordered, so walking from parent to parent
    /// must revisit a variable; the revisited stretch, reversed, is a cycle.
    private static func cycle(among variables: [Variable], excluding done: [Bool], indexByName: [String: Int]) -> [String] {
        var walk = [variables.indices.first { !done[$0] }!]
        while true {
            let current = variables[walk.last!]
            let parent = current.parents.compactMap { indexByName[$0] }.first { !done[$0] }!
            if let start = walk.firstIndex(of: parent) {
                let loop = Array(walk[start...].reversed())
                let first = loop.indices.min { loop[$0] < loop[$1] }!
                let rotated = loop[first...] + loop[..<first]
                return (rotated + [rotated.first!]).map { variables[$0].name }
            }
            walk.append(parent)
        }
    }
}
