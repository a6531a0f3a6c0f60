import Tensors

/// An operation on the representation at one site (DESIGN §5).
///
/// `apply(base:sources:)` takes the base run's rows `h` (`[n, width]`) and one source
/// representation per variable (`[n, width]` each, from source runs at the same site) and returns
/// the edited rows. Gradients flow to its parameters (and through `h` and the sources).
///
/// An intervention is a `Module`: its parameters are its learned tensors, named by property path
/// (`rotation.matrix`, `mask.boundaries`), found, frozen and loaded like a network's. Constants
/// (fixed masks, an untrained rotation) are not parameters.
public protocol Intervention: Module {
    /// A short name for reports and errors, e.g. `rotated interchange (k = 16)`.
    var name: String { get }

    /// The width of the representations it edits.
    var width: Int { get }

    /// How many source representations `apply` takes (one per variable; 0 for source-free ones).
    var sourceCount: Int { get }

    /// The edited representation, `[n, width]`.
    /// - Throws: `InterventionError` when the sources' count or shapes do not fit, `TensorError` otherwise.
    func apply(base: Tensor, sources: [Tensor]) throws -> Tensor

    /// Called before every optimizer step, once the gradients are in: prepares them (a rotation's
    /// gradient is projected onto the tangent space of orthonormal rows).
    func willStep() throws

    /// Called after every optimizer step: keeps rotations orthonormal, advances annealing.
    func didStep() throws
}

extension Intervention {
    public func willStep() throws {}
    public func didStep() throws {}

    /// Checks the number and shapes of `sources` against `base`.
    /// - Throws: `InterventionError.sourceCountMismatch` or `.sourceShapeMismatch`.
    public func validate(base: Tensor, sources: [Tensor]) throws {
        guard sources.count == sourceCount else {
            throw InterventionError.sourceCountMismatch(intervention: name, expected: sourceCount, got: sources.count)
        }
        for source in sources where source.shape != base.shape {
            throw InterventionError.sourceShapeMismatch(site: nil, base: base.shape, source: source.shape)
        }
        guard base.shape.last == width else {
            throw InterventionError.invalidSubspace("\(name) edits rows of width \(width), the representation has shape \(base.shape)")
        }
    }
}
