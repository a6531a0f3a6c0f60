import Foundation
import Interventions

/// What can go wrong setting up or running an alignment; each message names the site, variable or
/// setting and what was expected.
public enum AlignmentError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A dataset that intervenes on a variable the alignment has no subspace for.
    case unalignedVariable(String, aligned: [String])
    /// Variables and subspace sizes that do not pair up, or a method that does not fit them.
    case invalidConfiguration(String)
    /// Subspaces that do not fit the site.
    case subspaceTooLarge(site: Site, sizes: [Int], width: Int)
    /// Datasets whose feature widths differ from each other or from the network's input.
    case featureWidthMismatch(expected: Int, found: Int, dataset: String)
    /// The training loss became NaN or infinite.
    case diverged(site: Site, step: Int)

    public var description: String {
        switch self {
        case let .unalignedVariable(variable, aligned):
            return "the dataset intervenes on \(variable), which has no subspace in this alignment (aligned variables: \(aligned.joined(separator: ", ")))"
        case let .invalidConfiguration(reason):
            return "invalid alignment configuration: \(reason)"
        case let .subspaceTooLarge(site, sizes, width):
            return "subspaces of sizes \(sizes) (total \(sizes.reduce(0, +))) do not fit site \(site), whose width is \(width); valid total sizes are 1...\(width)"
        case let .featureWidthMismatch(expected, found, dataset):
            return "dataset \(dataset) has \(found) input features, expected \(expected)"
        case let .diverged(site, step):
            return "DAS at site \(site) diverged: the loss is not finite at step \(step); lower the learning rate"
        }
    }

    public var errorDescription: String? { description }
}
