import Foundation
import Tensors

/// The masks `M_v` of a `RotatedSpaceIntervention`: for each variable, a `[rank]` vector of weights
/// in 0...1 over the rotated coordinates. A `Module`: learned masks have parameters.
public protocol RotatedCoordinateMask: Module {
    /// A short name for reports.
    var name: String { get }
    /// The number of rotated coordinates `k` the masks cover.
    var rank: Int { get }
    /// The number of variables (and so of sources).
    var variableCount: Int { get }
    /// One `[rank]` mask per variable, on the tape when the mask learns.
    func masks() throws -> [Tensor]
    /// Called after every optimizer step (annealing).
    func didStep()
}

/// DAS's fixed partition: variable `v` owns the block of `sizes[v]` rotated coordinates after
/// those of the variables before it; coordinates past the sum belong to none.
public final class SubspacePartition: RotatedCoordinateMask {
    public let rank: Int
    /// The block size of each variable.
    public let sizes: [Int]
    private let constantMasks: [Tensor]

    public var name: String { "interchange of subspaces \(sizes.map(String.init).joined(separator: "+"))" }
    public var variableCount: Int { sizes.count }
    /// None: the partition is fixed, so it has no parameters.
    public var moduleChildren: [(label: String, value: Any)] { [] }

    /// - Throws: `InterventionError.invalidSubspace` when a size is not positive or they add up to more than `rank`.
    public init(sizes: [Int], rank: Int) throws {
        guard sizes.allSatisfy({ $0 > 0 }), sizes.reduce(0, +) <= rank else {
            throw InterventionError.invalidSubspace(
                "subspace sizes \(sizes) must be positive and add up to at most the \(rank) rotated coordinates")
        }
        self.rank = rank
        self.sizes = sizes
        var start = 0
        constantMasks = try sizes.map { size in
            defer { start += size }
            return try DimensionMask.make(Array(start..<(start + size)), width: rank, owner: "subspace partition")
        }
    }

    /// The coordinate ranges, in order.
    public var ranges: [Range<Int>] {
        var start = 0
        return sizes.map { size in defer { start += size }; return start..<(start + size) }
    }

    public func masks() throws -> [Tensor] { constantMasks }
    public func didStep() {}
}

/// A temperature that falls linearly from `start` to `end` over `steps` steps, then stays at `end`
/// (as pyvene anneals boundless and sigmoid-mask DII).
public struct TemperatureSchedule: Sendable, Equatable {
    public let start: Float, end: Float, steps: Int

    public init(start: Float = 50, end: Float = 0.1, steps: Int) {
        self.start = start
        self.end = end
        self.steps = max(steps, 1)
    }

    /// The temperature at step `step` (from 0).
    public func temperature(atStep step: Int) -> Float {
        start + (end - start) * Float(min(step, steps)) / Float(steps)
    }
}

/// Boundless DII's mask for one variable: `M_i = σ((i − lo)/T) σ((hi − i)/T)`, a soft interval of
/// rotated coordinates with learned bounds `lo`, `hi` and an annealed temperature `T`.
public final class BoundlessMask: RotatedCoordinateMask {
    public let rank: Int
    /// `[lo, hi]`, learned.
    public let boundaries: Tensor
    /// How the temperature falls; a trainer sets it to the length of its run.
    public var schedule: TemperatureSchedule
    public private(set) var step = 0
    private let coordinates: Tensor

    public var name: String { "boundless interchange" }
    public var variableCount: Int { 1 }
    /// `boundaries`, its one parameter (the coordinate indices are constants).
    public var moduleChildren: [(label: String, value: Any)] { [(label: "boundaries", value: boundaries)] }

    /// The current temperature.
    public var temperature: Float { schedule.temperature(atStep: step) }

    /// A soft interval starting as `[-0.5, initialSize − 0.5]`, i.e. about the first `initialSize` coordinates.
    /// - Throws: `InterventionError.invalidSubspace` unless `1 ≤ initialSize ≤ rank`.
    public init(rank: Int, initialSize: Int, schedule: TemperatureSchedule) throws {
        guard (1...max(rank, 1)).contains(initialSize) else {
            throw InterventionError.invalidSubspace("boundless mask: initial size \(initialSize) must be in 1...\(rank)")
        }
        self.rank = rank
        self.schedule = schedule
        boundaries = Tensor([-0.5, Float(initialSize) - 0.5], requiresGradient: true)
        coordinates = Tensor((0..<rank).map(Float.init))
    }

    /// The interval's current soft size, `Σ_i M_i`.
    public var size: Float { (try? masks()[0].sum().scalar) ?? 0 }

    public func masks() throws -> [Tensor] {
        let inverse = 1 / temperature
        let lower = try boundaries.slice(alongAxis: 0, 0..<1), upper = try boundaries.slice(alongAxis: 0, 1..<2)
        let rising = try ((coordinates - lower) * inverse).sigmoid()
        let falling = try ((upper - coordinates) * inverse).sigmoid()
        return [try rising * falling]
    }

    public func didStep() { step += 1 }
}

/// Sigmoid-mask DII's mask for one variable: `M_i = σ(m_i / T)` with learned logits `m` (starting at
/// 0, so every gate starts half open) and an annealed temperature `T`.
public final class SigmoidMask: RotatedCoordinateMask {
    public let rank: Int
    /// The logits `m`, `[rank]`, learned.
    public let logits: Tensor
    /// How the temperature falls; a trainer sets it to the length of its run.
    public var schedule: TemperatureSchedule
    public private(set) var step = 0

    public var name: String { "sigmoid-mask interchange" }
    public var variableCount: Int { 1 }

    /// The current temperature.
    public var temperature: Float { schedule.temperature(atStep: step) }

    public init(rank: Int, schedule: TemperatureSchedule) {
        self.rank = rank
        self.schedule = schedule
        logits = Tensor.zeros(shape: [rank], requiresGradient: true)
    }

    /// The coordinates whose gate is more than half open.
    public var selectedCoordinates: [Int] { logits.scalars.indices.filter { logits.scalars[$0] > 0 } }

    public func masks() throws -> [Tensor] { [(logits * (1 / temperature)).sigmoid()] }
    public func didStep() { step += 1 }
}
