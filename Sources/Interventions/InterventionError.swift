import Foundation

/// What can go wrong when placing or running an intervention; each message names the site,
/// intervention or dimension and what was expected.
public enum InterventionError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A site name that does not parse.
    case invalidSiteName(String)
    /// A site the network does not have.
    case unknownSite(Site, validSites: [Site])
    /// An intervention built for representations of another width than the site's.
    case widthMismatch(site: Site, siteWidth: Int, interventionWidth: Int)
    /// Subspaces or dimensions that do not fit the representation or rotation.
    case invalidSubspace(String)
    /// A call with the wrong number of source representations.
    case sourceCountMismatch(intervention: String, expected: Int, got: Int)
    /// Source representations whose shape differs from the base's.
    case sourceShapeMismatch(site: Site?, base: [Int], source: [Int])
    /// A token position outside the sequence: example `example`'s position in the base
    /// (`source == nil`) or in source `source`.
    case positionOutOfRange(site: Site, example: Int, source: Int?, position: Int, validRange: Range<Int>)
    /// Positions that do not fit the representation (batch size, counts, repeats), with why.
    case invalidPositions(site: Site, reason: String)

    public var description: String {
        switch self {
        case let .invalidSiteName(name):
            return "invalid site name '\(name)': expected layer.<i> (MLP), or embedding or layer.<i>.<\(Site.Component.allCases.map(\.rawValue).joined(separator: "|"))> (transformer)"
        case let .unknownSite(site, validSites):
            let valid = validSites.count <= 12 ? validSites.map(\.description).joined(separator: ", ")
                : "\(validSites.first!) … \(validSites.last!) (\(validSites.count) sites)"
            return "site \(site) does not exist in this network; valid sites: \(valid)"
        case let .widthMismatch(site, siteWidth, interventionWidth):
            return "site \(site) holds representations of width \(siteWidth), but the intervention is built for width \(interventionWidth)"
        case let .invalidSubspace(reason):
            return "invalid subspace: \(reason)"
        case let .sourceCountMismatch(intervention, expected, got):
            return "\(intervention) takes \(expected) source representation\(expected == 1 ? "" : "s") (one per variable), got \(got)"
        case let .sourceShapeMismatch(site, base, source):
            return "source representation of shape \(source) does not match the base's \(base)\(site.map { " at site \($0)" } ?? "")"
        case let .positionOutOfRange(site, example, source, position, validRange):
            let whose = source.map { "source \($0)'s example \(example)" } ?? "example \(example)"
            return "site \(site): position \(position) of \(whose) is outside the valid range \(validRange.lowerBound)..<\(validRange.upperBound)"
        case let .invalidPositions(site, reason):
            return "site \(site): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
