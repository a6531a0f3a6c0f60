/// A piece of a model that owns parameters: a network, a layer, an intervention (DESIGN §10, after
/// MLX Swift's `MLXNN`).
///
/// Its parameters are found by walking its children (by default, its stored properties):
/// a `Tensor` is a parameter, a `Module` is walked in turn, arrays give `.0`, `.1`, …, string-keyed
/// dictionaries give their keys in sorted order, optionals unwrap (a `nil` gives nothing), and
/// anything else (configurations, numbers, closures) is ignored. Parameter names are the dotted
/// property paths, e.g. `layers.3.attention.query.weight`: the names checkpoint files use.
///
/// A tensor reachable by two paths (a tied weight) is one parameter, listed once under the first
/// path met; a module reachable twice is walked once, so back-references cannot loop.
public protocol Module: AnyObject {
    /// The children the parameter walk visits, labelled with their path components.
    ///
    /// The default is every stored property, in declaration order. Override it to keep tensors
    /// that are constants (fixed masks, an untrained basis) out of the parameters.
    var moduleChildren: [(label: String, value: Any)] { get }
}

extension Module {
    /// Every stored property, including those of superclasses (theirs first).
    public var moduleChildren: [(label: String, value: Any)] {
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let current = mirror {
            mirrors.append(current)
            mirror = current.superclassMirror
        }
        return mirrors.reversed().flatMap { mirror in
            mirror.children.compactMap { child in child.label.map { (label: $0, value: child.value) } }
        }
    }

    /// Every parameter once, with its dotted path, in walk order (a tied tensor under its first path).
    public var namedParameters: [(name: String, tensor: Tensor)] {
        var walk = ParameterWalk()
        walk.visit(self, path: "")
        return walk.found.map { (name: $0.paths[0], tensor: $0.tensor) }
    }

    /// Every parameter tensor once, in walk order.
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }

    /// The total number of parameter scalars (a tied tensor counted once).
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.elementCount } }

    /// The parameters that train: those whose `requiresGradient` is true, with their names.
    public func trainableParameters() -> [(name: String, tensor: Tensor)] {
        namedParameters.filter { $0.tensor.requiresGradient }
    }

    /// Stops gradients at every parameter: backward passes do no weight-gradient work for them,
    /// and `trainableParameters()` leaves them out.
    public func freeze() { setTrainable(false) }

    /// Lets gradients reach every parameter again.
    public func unfreeze() { setTrainable(true) }

    /// Sets `requiresGradient` on every parameter (`freeze()` is `setTrainable(false)`).
    public func setTrainable(_ trainable: Bool) {
        for parameter in parameters { parameter.requiresGradient = trainable }
    }

    /// Copies `values` into the parameters of the same names (in place: optimizers and tied uses
    /// keep seeing the same tensors). A tied tensor may be given under any of its paths.
    ///
    /// Nothing is changed unless every check passes.
    /// - Parameter strict: when true (the default), a name that is not a parameter and a parameter
    ///   given no value are errors; when false they are skipped.
    /// - Throws: `ModuleError.parameterShapeMismatch` naming the parameter and both shapes,
    ///   `.unknownParameter` (strict) naming it and listing the valid names, `.missingParameter`
    ///   (strict), `.conflictingTiedValues` when two paths of one tied tensor get different values.
    public func loadParameters(_ values: [String: Tensor], strict: Bool = true) throws {
        var walk = ParameterWalk()
        walk.visit(self, path: "")
        var owner: [String: Int] = [:]
        for (index, parameter) in walk.found.enumerated() {
            for path in parameter.paths { owner[path] = index }
        }
        var assigned: [Int: (name: String, value: Tensor)] = [:]
        for name in values.keys.sorted() {
            let value = values[name]!
            guard let index = owner[name] else {
                if strict { throw ModuleError.unknownParameter(name: name, validNames: walk.found.map { $0.paths[0] }) }
                continue
            }
            let target = walk.found[index].tensor
            guard value.shape == target.shape else {
                throw ModuleError.parameterShapeMismatch(name: name, expected: target.shape, found: value.shape)
            }
            if let earlier = assigned[index] {
                guard earlier.value.scalars == value.scalars else {
                    throw ModuleError.conflictingTiedValues(names: [earlier.name, name])
                }
                continue
            }
            assigned[index] = (name, value)
        }
        if strict, let missing = walk.found.indices.first(where: { assigned[$0] == nil }) {
            throw ModuleError.missingParameter(name: walk.found[missing].paths[0])
        }
        for (index, entry) in assigned { walk.found[index].tensor.scalars = entry.value.scalars }
    }
}

/// One walk over a module tree: every parameter tensor once, with every path that reaches it.
struct ParameterWalk {
    private(set) var found: [(tensor: Tensor, paths: [String])] = []
    private var indexOfTensor: [ObjectIdentifier: Int] = [:]
    private var visitedModules: Set<ObjectIdentifier> = []

    mutating func visit(_ value: Any, path: String) {
        func join(_ label: String) -> String { path.isEmpty ? label : "\(path).\(label)" }
        switch value {
        case let tensor as Tensor:
            if let index = indexOfTensor[ObjectIdentifier(tensor)] {
                found[index].paths.append(path)
            } else {
                indexOfTensor[ObjectIdentifier(tensor)] = found.count
                found.append((tensor, [path]))
            }
        case let module as any Module:
            // A module met again (shared, or a back-reference) adds nothing new; walking it
            // again only to record aliases could loop forever on a cycle.
            guard visitedModules.insert(ObjectIdentifier(module)).inserted else { return }
            for child in module.moduleChildren { visit(child.value, path: join(child.label)) }
        case is [Float], is [Double], is [Int], is [Int32], is [UInt8], is [Bool], is [String], is [String: Int]:
            // Plain data (frequencies, vocabularies) holds no parameter; skipping it keeps the walk
            // from boxing every element.
            break
        case let array as [Any]:
            for (index, element) in array.enumerated() { visit(element, path: join(String(index))) }
        case let dictionary as [String: Any]:
            for key in dictionary.keys.sorted() { visit(dictionary[key]!, path: join(key)) }
        default:
            break
        }
    }
}
