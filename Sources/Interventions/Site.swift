/// A place in a network where a representation can be read or replaced.
///
/// Names follow DESIGN §4: an MLP's sites are `layer.<i>` (the hidden representation after layer
/// `i`'s activation); a transformer's are `embedding` (the token embeddings, plus learned positions
/// where the model has them, before block 0), `layer.<i>.block_input`, `.block_output`,
/// `.attention_output` and `.mlp_output`.
///
/// `embedding` is stored as layer −1 with no component: it comes before every layer, so sites sort
/// in the order a forward pass meets them. No network has another negative layer.
public struct Site: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The part of a transformer block a site reads; `nil` for an MLP layer.
    public enum Component: String, Sendable, CaseIterable, Comparable {
        case blockInput = "block_input"
        case blockOutput = "block_output"
        case attentionOutput = "attention_output"
        case mlpOutput = "mlp_output"

        public static func < (a: Component, b: Component) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    /// The layer index, from 0 (−1 for `embedding`).
    public let layer: Int
    /// The component within a transformer block, or `nil` for an MLP layer.
    public let component: Component?

    /// The transformer's `embedding` site: the input of block 0.
    public static let embedding = Site(layer: -1, component: nil)

    /// Whether this is the `embedding` site.
    public var isEmbedding: Bool { self == .embedding }

    /// The site `layer.<layer>` or `layer.<layer>.<component>` (`layer` −1 with no component is
    /// `embedding`; networks reject every other negative layer as a site they lack).
    public init(layer: Int, component: Component? = nil) {
        self.layer = layer
        self.component = component
    }

    /// Parses a site name such as `layer.2`, `layer.0.block_output` or `embedding`.
    /// - Throws: `InterventionError.invalidSiteName` saying what the name should look like.
    public init(parsing name: String) throws {
        if name == "embedding" {
            self = .embedding
            return
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3, parts[0] == "layer", let layer = Int(parts[1]), layer >= 0 else {
            throw InterventionError.invalidSiteName(name)
        }
        var component: Component?
        if parts.count == 3 {
            guard let parsed = Component(rawValue: parts[2]) else { throw InterventionError.invalidSiteName(name) }
            component = parsed
        }
        self.init(layer: layer, component: component)
    }

    /// The site's name, e.g. `layer.1`, `layer.3.mlp_output` or `embedding`.
    public var description: String {
        if isEmbedding { return "embedding" }
        return component.map { "layer.\(layer).\($0.rawValue)" } ?? "layer.\(layer)"
    }

    public static func < (a: Site, b: Site) -> Bool {
        (a.layer, a.component.map { Component.allCases.firstIndex(of: $0)! } ?? -1)
            < (b.layer, b.component.map { Component.allCases.firstIndex(of: $0)! } ?? -1)
    }
}

extension Site: Codable {
    /// A site is stored as its name, e.g. `"layer.1"` or `"embedding"`.
    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: name)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
