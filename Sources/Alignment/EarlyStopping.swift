import Tensors
/// Early stopping on validation IIA: every `every` optimizer steps DAS scores its intervention on
/// the validation data, keeps the parameters of the best score, stops once `patience` checks in a
/// row have not beaten it, and ends with the best parameters restored.
///
/// It watches validation IIA rather than validation loss because IIA is what is reported and what
/// restarts and cells are chosen on: the cross-entropy can keep falling (ever more confident
/// logits on examples already right) while IIA stands still or drops, and the rotation kept should
/// be the one with the best IIA. Ties keep the earlier rotation. It applies to the rotation method
/// only: the boundless and sigmoid masks anneal a temperature over the whole run, and a mask
/// stopped halfway is still soft.
public struct EarlyStopping: Codable, Sendable, Equatable {
    /// Optimizer steps between two validation checks (the last step is always checked).
    public var every: Int
    /// Checks in a row without a better validation IIA before training stops.
    public var patience: Int

    /// A check every 100 steps, stopping after 5 without improvement.
    public static let standard = EarlyStopping(every: 100, patience: 5)

    public init(every: Int, patience: Int) {
        self.every = every
        self.patience = patience
    }
}

/// One validation check of a DAS run with early stopping.
public struct ValidationCheck: Codable, Sendable, Equatable {
    /// The optimizer steps taken when the check ran.
    public let step: Int
    /// IIA on the validation data at that step.
    public let iia: Double
}

/// The bookkeeping of early stopping during one run: the best check so far, its parameters, and
/// how many checks have passed without beating it.
struct EarlyStoppingTracker {
    let rule: EarlyStopping
    private(set) var checks: [ValidationCheck] = []
    private(set) var best: (check: ValidationCheck, parameters: [[Float]])?
    private var checksWithoutImprovement = 0

    init(_ rule: EarlyStopping) { self.rule = rule }

    /// Whether a check is due after `step` of `totalSteps`.
    func isDue(step: Int, of totalSteps: Int) -> Bool { step % rule.every == 0 || step == totalSteps }

    /// Records a check; keeps a copy of `parameters` when it beats the best. Returns whether to stop.
    mutating func record(step: Int, iia: Double, parameters: [Tensor]) -> Bool {
        let check = ValidationCheck(step: step, iia: iia)
        checks.append(check)
        if best == nil || iia > best!.check.iia {
            best = (check, parameters.map(\.scalars))
            checksWithoutImprovement = 0
        } else {
            checksWithoutImprovement += 1
        }
        return checksWithoutImprovement >= rule.patience
    }

    /// Puts the best check's parameters back into `parameters`.
    func restoreBest(into parameters: [Tensor]) {
        guard let best else { return }
        for (tensor, scalars) in zip(parameters, best.parameters) { tensor.scalars = scalars }
    }
}
