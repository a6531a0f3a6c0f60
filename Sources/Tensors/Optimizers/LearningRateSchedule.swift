/// How the learning rate changes over training: a factor that multiplies the base rate at each update.
public struct LearningRateSchedule: Sendable, Equatable {
    private let warmupSteps: Int
    private let totalSteps: Int?

    /// The base learning rate at every update.
    public static let constant = LearningRateSchedule(warmupSteps: 0, totalSteps: nil)

    /// Linear warm-up then linear decay: update `t` (counting from 0) uses the factor
    /// `(t + 1) / warmupSteps` while `t < warmupSteps`, then `(totalSteps − t) / (totalSteps − warmupSteps)`,
    /// reaching `1 / (totalSteps − warmupSteps)` at the last update `t = totalSteps − 1`, and 0 after it.
    /// With `warmupSteps == 0` it is a pure linear decay. The first update never has a zero rate.
    public static func linearWarmupThenDecay(warmupSteps: Int, totalSteps: Int) -> LearningRateSchedule {
        precondition(warmupSteps >= 0 && totalSteps > warmupSteps,
                     "linearWarmupThenDecay needs 0 ≤ warmupSteps < totalSteps; got \(warmupSteps) and \(totalSteps)")
        return LearningRateSchedule(warmupSteps: warmupSteps, totalSteps: totalSteps)
    }

    /// Linear warm-up over `warmupSteps`, then the base rate: `(t + 1) / warmupSteps` while `t < warmupSteps`, then 1.
    public static func linearWarmup(steps warmupSteps: Int) -> LearningRateSchedule {
        precondition(warmupSteps >= 0, "linearWarmup needs 0 or more steps; got \(warmupSteps)")
        return LearningRateSchedule(warmupSteps: warmupSteps, totalSteps: nil)
    }

    /// The factor for update `step` (counting from 0).
    public func factor(atStep step: Int) -> Float {
        if step < warmupSteps { return Float(step + 1) / Float(warmupSteps) }
        guard let totalSteps else { return 1 }
        return max(0, Float(totalSteps - step) / Float(totalSteps - warmupSteps))
    }
}
