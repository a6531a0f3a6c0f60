import Foundation
import ReFT
import Tensors
import TestSupport
import Testing
import Transformers

@Suite("LoRA")
struct LoRATests {
    static func layer(seed: UInt64 = 1) throws -> LoRALinear {
        var generator = SeededGenerator(seed: seed)
        let base = Linear(inputs: 6, outputs: 5, using: &generator)
        base.weight.requiresGradient = false
        base.bias?.requiresGradient = false
        let lora = try LoRALinear(base: base, rank: 2, alpha: 3, seed: seed + 1)
        // A non-zero B, so every term of the formula matters.
        lora.b.scalars = (0..<lora.b.elementCount).map { Float($0 % 7) * 0.1 - 0.3 }
        return lora
    }

    @Test("B starts at zero: a new LoRA layer computes exactly its base layer")
    func startsAsTheBase() throws {
        var generator = SeededGenerator(seed: 3)
        let base = Linear(inputs: 6, outputs: 5, using: &generator)
        let lora = try LoRALinear(base: base, rank: 2, alpha: 4, seed: 9)
        #expect(lora.b.scalars.allSatisfy { $0 == 0 })
        #expect(lora.a.scalars.contains { $0 != 0 })
        let x = Tensor.normal(shape: [4, 6], standardDeviation: 1, using: &generator)
        #expect(try lora(x).scalars == base(x).scalars)
        #expect(lora.parameterCount == 2 * 6 + 5 * 2)
    }

    @Test("y = x Wᵀ + b + (α/r) (x Aᵀ) Bᵀ against a Float64 computation")
    func formula() throws {
        let lora = try Self.layer()
        var generator = SeededGenerator(seed: 5)
        let x = Tensor.normal(shape: [3, 6], standardDeviation: 1, using: &generator)
        let y = try lora(x)
        let (w, b, a, bb) = (lora.base.weight.scalars.map(Double.init), lora.base.bias!.scalars.map(Double.init),
                             lora.a.scalars.map(Double.init), lora.b.scalars.map(Double.init))
        let s = 3.0 / 2.0
        #expect(Double(lora.scale) == s)
        var worst = 0.0
        for n in 0..<3 {
            for o in 0..<5 {
                var value = b[o]
                for i in 0..<6 {
                    var effective = w[o * 6 + i]
                    for r in 0..<2 { effective += s * bb[o * 2 + r] * a[r * 6 + i] }
                    value += Double(x.scalars[n * 6 + i]) * effective
                }
                worst = max(worst, abs(value - Double(y.scalars[n * 5 + o])))
            }
        }
        #expect(worst < 1e-5, "max error \(worst)")
    }

    @Test("gradients of x, A and B match finite differences")
    func gradientCheck() throws {
        let lora = try Self.layer()
        var generator = SeededGenerator(seed: 6)
        let x = Tensor.normal(shape: [3, 6], standardDeviation: 1, using: &generator, requiresGradient: true)
        try expectGradientsMatch(of: [x, lora.a, lora.b], epsilon: 1e-2) { inputs in try lora(inputs[0]) }
    }

    @Test("merged into the weight: the same outputs, the same A and B gradients; unmerge restores W bit for bit")
    func mergedMatchesFactored() throws {
        let lora = try Self.layer()
        let original = lora.base.weight.scalars
        var generator = SeededGenerator(seed: 7)
        let x = Tensor.normal(shape: [4, 6], standardDeviation: 1, using: &generator)
        let target = Tensor.normal(shape: [4, 5], standardDeviation: 1, using: &generator)
        // Factored, on the tape.
        try (lora(x) * target).sum().backward()
        let (factoredA, factoredB) = (lora.a.gradient!.scalars, lora.b.gradient!.scalars)
        let factoredOutput = try Tensor.withoutGradients { try lora(x) }
        lora.a.zeroGradient(); lora.b.zeroGradient()
        // Merged: the base layer alone, then the surrogate.
        try lora.merge(recordWeightGradient: true)
        let merged = try lora.base(x)
        for (m, f) in zip(merged.scalars, factoredOutput.scalars) { #expect(abs(m - f) < 1e-5) }
        try (merged * target).sum().backward()
        try #require(try lora.surrogate()).backward()
        for (m, f) in zip(lora.a.gradient!.scalars, factoredA) { #expect(abs(m - f) <= 1e-4 * max(1, abs(f))) }
        for (m, f) in zip(lora.b.gradient!.scalars, factoredB) { #expect(abs(m - f) <= 1e-4 * max(1, abs(f))) }
        try lora.merge()
        try lora.merge()  // merging twice adds the update once
        for (m, f) in zip(try lora.base(x).scalars, factoredOutput.scalars) { #expect(abs(m - f) < 1e-5) }
        lora.unmerge()
        #expect(lora.base.weight.scalars == original)
        #expect(!lora.base.weight.requiresGradient)
    }

    @Test("trained by the same trainer: loss falls, only A and B change, save and load give the same outputs")
    func trainsSavesLoads() throws {
        let (configuration, data, _) = try TrainerTests.setting(width: 32)
        let model = try Transformer(configuration: configuration, seed: 4, scale: 0.2)
        let before = model.parameters.map(\.scalars)
        let spec = LoRASpec(rank: 2, alpha: 4, layers: .list([1, 2]), targets: try LoRATarget.parse("q,v,up"))
        let adapter = try LoRAAdapter(spec: spec, model: model, seed: 3)
        // r (in + out) per adapted layer: q, v are 32→32, up 32→32 here (intermediate 32).
        #expect(adapter.parameterCount == 2 * 3 * 2 * (32 + 32))
        let trainer = try ReFTTrainer(model: model, adapter: adapter, data: data,
                                      options: ReFTTrainingOptions(epochs: 15, batchSize: 2, learningRate: 2e-2, seed: 1))
        let start = try trainer.evaluate(data)
        let folder = TrainerTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try trainer.train(savingTo: folder)
        let end = try trainer.evaluate(data)
        #expect(end.loss < start.loss - 0.5, "\(start.loss) → \(end.loss)")
        #expect(adapter.modules.contains { $0.lora.b.scalars.contains { $0 != 0 } })
        let json = try String(contentsOf: folder.appendingPathComponent("adapter.json"), encoding: .utf8)
        #expect(json.contains("\"type\" : \"lora\""))
        // The base weights are untouched once the adapter is taken out.
        adapter.unmerge()
        #expect(model.parameters.map(\.scalars) == before)
        let loaded = try LoRAAdapter.load(from: folder, for: model)
        for (a, b) in zip(adapter.namedParameters, loaded.namedParameters) { #expect(a.name == b.name && a.tensor.scalars == b.tensor.scalars) }
        let evaluation = try ReFTTrainer<LoRAAdapter>.evaluate(model: model, adapter: loaded, dataset: data, batchSize: 2)
        #expect(evaluation == end)
        loaded.unmerge()
    }

    @Test("targets parse; unknown ones, gate on GPT-2 and ranks beyond the layer are refused")
    func validation() throws {
        #expect(try LoRATarget.parse("q,k,v,o") == [.query, .key, .value, .output])
        #expect(try LoRATarget.parse("all").count == 7)
        #expect { try LoRATarget.parse("q,x") } throws: { "\($0)".contains("'x' is not one of") }
        let (configuration, _, _) = try TrainerTests.setting()
        let model = try Transformer(configuration: configuration, seed: 1)
        #expect { try LoRAAdapter(spec: LoRASpec(rank: 2, alpha: 1, layers: .list([0]), targets: [.gate]), model: model, seed: 0) } throws: {
            "\($0)".contains("does not exist in a gpt2 model")
        }
        #expect { try LoRAAdapter(spec: LoRASpec(rank: 17, alpha: 1, layers: .list([0]), targets: [.query]), model: model, seed: 0) } throws: {
            "\($0)".contains("rank between 1 and min(in, out) = 16")
        }
        #expect { try LoRAAdapter(spec: LoRASpec(rank: 2, alpha: 1, layers: .list([5]), targets: [.query]), model: model, seed: 0) } throws: { _ in true }
    }
}
