import Foundation

/// Values for some of a model's variables, by name: the inputs of a run, its result, the values of
/// a mechanism's parents, or an intervention.
///
/// In JSON an assignment is an object from variable names to plain values: `{"A": true, "X": 3}`.
public struct Assignment: Hashable, Sendable {
    /// The values, by variable name.
    public private(set) var values: [String: Value]

    /// Creates an assignment holding `values`.
    public init(_ values: [String: Value] = [:]) {
        self.values = values
    }

    /// The value of `variable`, or `nil` when the assignment does not hold it; setting `nil` removes it.
    public subscript(variable: String) -> Value? {
        get { values[variable] }
        set { values[variable] = newValue }
    }

    /// The names of the variables held, sorted.
    public var names: [String] { values.keys.sorted() }

    /// Whether no variable has a value.
    public var isEmpty: Bool { values.isEmpty }

    /// The part of the assignment that concerns `variables`; names it does not hold are skipped.
    public func restricted(to variables: some Sequence<String>) -> Assignment {
        var restricted = Assignment()
        for name in variables {
            restricted[name] = values[name]
        }
        return restricted
    }

    /// The value of `variable`.
    ///
    /// - Throws: `CausalModelError.missingValue` when the assignment does not hold it.
    public func value(_ variable: String) throws -> Value {
        guard let value = values[variable] else {
            throw CausalModelError.missingValue(variable: variable, available: names)
        }
        return value
    }

    /// The boolean value of `variable`, for mechanisms: `try parents.bool("A")`.
    ///
    /// - Throws: `CausalModelError.missingValue` or `.typeMismatch`.
    public func bool(_ variable: String) throws -> Bool {
        try typed(variable, as: \.boolValue, expected: "a boolean")
    }

    /// The integer value of `variable`.
    ///
    /// - Throws: `CausalModelError.missingValue` or `.typeMismatch`.
    public func int(_ variable: String) throws -> Int {
        try typed(variable, as: \.intValue, expected: "an integer")
    }

    /// The symbol value of `variable`.
    ///
    /// - Throws: `CausalModelError.missingValue` or `.typeMismatch`.
    public func symbol(_ variable: String) throws -> String {
        try typed(variable, as: \.symbolValue, expected: "a symbol")
    }

    /// The components of the vector value of `variable`.
    ///
    /// - Throws: `CausalModelError.missingValue` or `.typeMismatch`.
    public func vector(_ variable: String) throws -> [Value] {
        try typed(variable, as: \.vectorValue, expected: "a vector")
    }

    private func typed<T>(_ variable: String, as extract: (Value) -> T?, expected: String) throws -> T {
        let value = try value(variable)
        guard let typed = extract(value) else {
            throw CausalModelError.typeMismatch(variable: variable, value: value, expected: expected)
        }
        return typed
    }
}

extension Assignment: ExpressibleByDictionaryLiteral {
    /// `["A": true, "B": false]`; a name given twice keeps its last value.
    public init(dictionaryLiteral elements: (String, Value)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension Assignment: CustomStringConvertible {
    /// The values sorted by name: `A=true, B=false`.
    public var description: String {
        values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }
}

extension Assignment: Codable {
    /// Reads a JSON object from names to values.
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([String: Value].self))
    }

    /// Writes a JSON object from names to values.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
