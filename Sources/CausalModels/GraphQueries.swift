import Foundation

extension CausalModel {
    /// The names of `variable`'s parents, in the order its mechanism is written for.
    public func parents(of variable: String) throws -> [String] {
        try self.variable(variable).parents
    }

    /// The names of the variables that have `variable` as a parent, in declaration order.
    public func children(of variable: String) throws -> [String] {
        _ = try self.variable(variable)
        return childrenByName[variable, default: []]
    }

    /// The variables reachable from `variable` along the arrows, in topological order, without itself.
    public func descendants(of variable: String) throws -> [String] {
        let reached = try reachable(from: variable, following: children(of:))
        return topologicalOrder.filter(reached.contains)
    }

    /// The variables from which `variable` is reachable along the arrows, in topological order,
    /// without itself.
    public func ancestors(of variable: String) throws -> [String] {
        let reached = try reachable(from: variable, following: parents(of:))
        return topologicalOrder.filter(reached.contains)
    }

    /// Every directed path from `start` to `end`, each listing its variables from `start` to `end`
    /// (a variable alone is the one path from itself to itself). Paths are ordered by taking
    /// children in declaration order.
    public func paths(from start: String, to end: String) throws -> [[String]] {
        _ = try variable(end)
        let reachesEnd = Set(try ancestors(of: end)).union([end])
        func extend(_ path: [String]) throws -> [[String]] {
            guard let last = path.last, last != end else { return [path] }
            return try children(of: last).filter(reachesEnd.contains).flatMap { try extend(path + [$0]) }
        }
        guard reachesEnd.contains(start) else {
            _ = try variable(start)
            return []
        }
        return try extend([start])
    }

    /// Whether fixing `variable` by an intervention can change `output` at all: true when
    /// `output` is `variable` itself or one of its descendants.
    ///
    /// This is the structural answer; a mechanism that ignores a parent can still make a particular
    /// intervention change nothing, which is what a dataset's `changedFraction` measures.
    public func intervention(on variable: String, canChange output: String) throws -> Bool {
        _ = try self.variable(output)
        return try variable == output || descendants(of: variable).contains(output)
    }

    private func reachable(from start: String, following next: (String) throws -> [String]) throws -> Set<String> {
        var reached = Set<String>()
        var frontier = try next(start)
        while let name = frontier.popLast() {
            if reached.insert(name).inserted {
                frontier += try next(name)
            }
        }
        return reached
    }
}
