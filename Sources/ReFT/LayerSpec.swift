import Foundation

/// Which transformer layers carry interventions: `all`, or a comma-separated list such as `2,4,6`.
public enum LayerSpec: Sendable, Hashable, CustomStringConvertible {
    /// Every layer of the model.
    case all
    /// The listed layers (as written; checked against a model by `resolve(layerCount:)`).
    case list([Int])

    /// Parses `all` or `i,j,…` (decimal, spaces around the commas allowed).
    /// - Throws: `ReFTError.invalidLayers` quoting `text`: an empty item, a non-number, a negative
    ///   index or a repeated one.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "all" {
            self = .all
            return
        }
        guard !trimmed.isEmpty else { throw ReFTError.invalidLayers(text: text, reason: "it is empty") }
        var layers: [Int] = []
        for item in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let token = item.trimmingCharacters(in: .whitespaces)
            guard !token.isEmpty else { throw ReFTError.invalidLayers(text: text, reason: "it has an empty item") }
            guard token.count <= 9, token.allSatisfy({ $0.isASCII && $0.isNumber }), let layer = Int(token) else {
                throw ReFTError.invalidLayers(text: text, reason: "'\(token)' is not a layer index (a number from 0)")
            }
            guard !layers.contains(layer) else {
                throw ReFTError.invalidLayers(text: text, reason: "layer \(layer) is listed twice")
            }
            layers.append(layer)
        }
        self = .list(layers)
    }

    /// The text form: `all` or `2,4,6`.
    public var description: String {
        switch self {
        case .all: "all"
        case let .list(layers): layers.map(String.init).joined(separator: ",")
        }
    }

    /// The layer indices for a model of `layerCount` layers, ascending.
    /// - Throws: `ReFTError.invalidLayers` for an index outside `0..<layerCount` (naming the valid
    ///   range), a repeated index, or an empty list.
    public func resolve(layerCount: Int) throws -> [Int] {
        switch self {
        case .all:
            return Array(0..<max(0, layerCount))
        case let .list(layers):
            guard !layers.isEmpty else { throw ReFTError.invalidLayers(text: description, reason: "it lists no layer") }
            if let bad = layers.first(where: { !(0..<layerCount).contains($0) }) {
                throw ReFTError.invalidLayers(text: description,
                                              reason: "layer \(bad) is outside the model's layers 0...\(layerCount - 1)")
            }
            guard Set(layers).count == layers.count else {
                throw ReFTError.invalidLayers(text: description, reason: "a layer is listed twice")
            }
            return layers.sorted()
        }
    }
}
