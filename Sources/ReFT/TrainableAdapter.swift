import Foundation
import Randomness
import Interventions
import Tensors
import Transformers

/// What `ReFTTrainer` trains: a module of parameters that acts on a frozen transformer through an
/// intervention plan (ReFT adapters; LoRA once the transformer exposes its linear layers, see
/// `LoRALinear`).
public protocol TrainableAdapter: Module {
    /// Whether dropout is active.
    var isTraining: Bool { get set }
    /// The plan for one right-padded training batch (prompts start at position 0).
    func plan(tokens: TokenBatch, promptLengths: [Int]) throws -> InterventionPlan
    /// Called after `backward`, before the optimizer's step (e.g. to project a rotation's gradient).
    func willStep() throws
    /// Called after the optimizer's step (e.g. to retract a rotation).
    func didStep() throws
    /// Restarts every dropout generator from `seed` (the trainer reseeds once per step, so a resumed
    /// run draws the same masks as an uninterrupted one).
    func reseedDropout(_ seed: UInt64)
    /// Called before each forward pass (LoRA merges its updates into the model here).
    func prepareForward() throws
    /// Called after each `backward` (LoRA turns the merged weights' gradients into its own here).
    func finishBackward() throws
    /// Writes the adapter's files into `directory`, atomically.
    func save(to directory: URL) throws
    /// The weights file `save` writes (the training state records its SHA-256, to tie the two together).
    static var weightsFileName: String { get }
}

extension TrainableAdapter {
    public func prepareForward() throws {}
    public func finishBackward() throws {}
}

extension ReFTAdapter: TrainableAdapter {
    public func reseedDropout(_ seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for entry in interventions { entry.intervention.reseedDropout(generator.next()) }
    }
}
