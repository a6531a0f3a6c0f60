import Testing
import TestSupport
@testable import Tensors

/// Three steps of each optimizer on `L = ½ Σ p²` (so the gradient is `p`), from `p = [1, -2]`.
/// Expected values are the optimizers' formulas worked out by hand (step 1) and in exact
/// arithmetic (steps 2 and 3), e.g. Adam's first step: `m̂ = g`, `v̂ = g²`, so `p ← p − 0.1 · sign(p)`.
@Suite struct OptimizerTests {
    private func run(_ makeOptimizer: ([Tensor]) -> any Optimizer) throws -> [[Float]] {
        let parameter = try Tensor(shape: [2], scalars: [1, -2], requiresGradient: true)
        let optimizer = makeOptimizer([parameter])
        var trajectory: [[Float]] = []
        for _ in 0..<3 {
            try (parameter.squared().sum() * 0.5).backward()
            optimizer.step()
            optimizer.zeroGradients()
            trajectory.append(parameter.scalars)
        }
        return trajectory
    }

    private func expect(_ trajectory: [[Float]], _ expected: [[Float]], sourceLocation: SourceLocation = #_sourceLocation) {
        for (step, (got, want)) in zip(trajectory, expected).enumerated() {
            #expect(close(got, want, tolerance: 1e-5), "step \(step + 1): \(got) vs \(want)", sourceLocation: sourceLocation)
        }
    }

    @Test func sgdWithMomentum() throws {
        // v = g = p = [1, -2]; p ← p − 0.1 v = [0.9, -1.8]; then v = 0.9 v + p, ...
        expect(try run { SGD(parameters: $0, learningRate: 0.1, momentum: 0.9) },
               [[0.9, -1.8], [0.72, -1.44], [0.486, -0.972]])
    }

    @Test func adam() throws {
        expect(try run { Adam(parameters: $0, learningRate: 0.1) },
               [[0.9, -1.9], [0.8004122, -1.8001665], [0.7015863, -1.7006234]])
    }

    @Test func adamW() throws {
        // Step 1: p ← p − 0.1 · 0.1 · p = [0.99, -1.98], then the Adam step − 0.1 · sign(p) = [0.89, -1.88].
        expect(try run { Adam.adamW(parameters: $0, learningRate: 0.1, weightDecay: 0.1) },
               [[0.89, -1.88], [0.7815719, -1.761409], [0.6751012, -1.6443687]])
    }

    @Test func warmupThenDecaySchedule() throws {
        // Factors 0.5, 1, 1 for warm-up 2 of 4 steps: p shrinks by 5%, 10%, 10%.
        expect(try run { SGD(parameters: $0, learningRate: 0.1, schedule: .linearWarmupThenDecay(warmupSteps: 2, totalSteps: 4)) },
               [[0.95, -1.9], [0.855, -1.71], [0.7695, -1.539]])
        let schedule = LearningRateSchedule.linearWarmupThenDecay(warmupSteps: 2, totalSteps: 4)
        #expect((0..<5).map { schedule.factor(atStep: $0) } == [0.5, 1, 1, 0.5, 0])
        #expect(LearningRateSchedule.constant.factor(atStep: 1000) == 1)
    }

    @Test func parametersWithoutGradientStayPut() throws {
        let untouched = try Tensor(shape: [1], scalars: [3], requiresGradient: true)
        let optimizer = Adam(parameters: [untouched], learningRate: 0.1)
        optimizer.step()
        #expect(untouched.scalars == [3])
    }
}
