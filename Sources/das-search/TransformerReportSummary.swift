import Alignment
import Foundation
import Reports

extension SearchReport {
    /// The table of a transformer search: one row per (site, position, size), and for each variable
    /// the cell where it reaches its best validation IIA, with its test IIA beside the controls'.
    func transformerSummary(_ transformer: TransformerDescription) -> String {
        func format(_ value: Double?) -> String { value.map { NumberText.decimal($0, decimals: 3) } ?? "-" }
        func withInterval(_ value: Double?, _ interval: IIAInterval?) -> String {
            guard let value else { return "-" }
            guard let interval, interval.low.isFinite else { return format(value) }
            return String(format: "%.3f [%.2f, %.2f]", value, interval.low, interval.high)
        }
        let accuracy = network.testAccuracy.map { String(format: ", held-out accuracy %.3f", $0) } ?? ""
        var lines = [
            "das-search: task \(configuration.task), method \(configuration.method), seed \(configuration.seed)"
                + (configuration.dasSeeds.isEmpty ? "" : ", DAS seed\(configuration.dasSeeds.count > 1 ? "s" : "") \(configuration.dasSeeds.map(String.init).joined(separator: ","))")
                + (shard.count > 1 ? ", shard \(shard.index)/\(shard.count)" : ""),
            "network: \(network.origin == "loaded" ? network.path ?? "" : "trained, \(network.path ?? "")") (\(transformer.modelType), \(transformer.layers) layers, width \(transformer.width), \(transformer.heads) heads\(accuracy))",
        ]
        guard configuration.method != "patching" else {
            lines += [
                "activation patching of the whole representation at each layer's block_output x position, from a source prompt into a base prompt with another answer (\(configuration.testSize) pairs)",
                "fraction restored = (ΣLD_patched − ΣLD_base) / (ΣLD_source − ΣLD_base), LD = logit(source answer) − logit(base answer) at the last position; flips: patched argmax = source answer",
                "",
                TextTable(header: ["site", "position", "fraction restored", "flips"],
                          rows: cells.map { [$0.site, $0.position ?? "-", format($0.patching?.fractionRestored), format($0.patching?.flipRate)] }).rendered,
            ]
            return lines.joined(separator: "\n")
        }
        let many = configuration.dasSeeds.count > 1
        lines += [
            "data per intervention set: \(configuration.trainSize) training, \(configuration.validationSize) validation (seed \(configuration.validationSeed)), \(configuration.testSize) test",
            overlap.summary,
            "labels the interventions change: " + splits.map { "\($0) \(format(changedFractions[$0]))" }.joined(separator: ", "),
            "IIA on held-out test counterfactuals; 'val' is validation IIA, what cells are chosen on; controls: neurons (same number of dimensions), random rotation, DAS on a random-weight transformer",
            many ? "each figure is the median over the \(configuration.dasSeeds.count) DAS seeds, [95% bootstrap interval over seeds and examples]"
                 : "[95% binomial (Wilson) interval over the \(configuration.testSize) test examples]; run with --seeds 3 for the spread over DAS seeds",
            "",
        ]
        let learned = cells.contains { $0.learnedSubspaceSize != nil }
        for split in splits {
            let header = ["site", "position", "dims"] + (learned ? ["learned size"] : []) + ["val", "IIA \(split)", "neurons", "random rotation", "random network"]
            let rows = cells.filter { $0.iia[split] != nil }.map { cell in
                [cell.site, cell.position ?? "-", "\(cell.subspaceSize)"]
                    + (learned ? [cell.learnedSubspaceSize?[split].map { String(format: "%g", $0) } ?? "-"] : [])
                    + [format(cell.validationIIA[split]), withInterval(cell.iia[split], cell.intervals.das[split]),
                       withInterval(cell.controls.identityBasis[split], cell.intervals.identityBasis[split]),
                       withInterval(cell.controls.randomRotation[split], cell.intervals.randomRotation[split]),
                       withInterval(cell.controls.randomNetwork[split], cell.intervals.randomNetwork[split])]
            }
            guard !rows.isEmpty else { continue }
            lines.append("intervening on \(split):")
            lines.append(TextTable(header: header, rows: rows).rendered)
            if let best = bestCell(for: split) {
                lines.append("Best for \(split) (chosen on validation): \(best.site) at position \(best.position ?? "-")"
                    + (best.learnedSubspaceSize?[split].map { String(format: ", learned size %g", $0) } ?? ", size \(best.subspaceSize)")
                    + ", test IIA \(withInterval(best.iia[split], best.intervals.das[split]))"
                    + " against neurons \(format(best.controls.identityBasis[split])), random rotation \(format(best.controls.randomRotation[split])), random network \(format(best.controls.randomNetwork[split])).")
                lines.append(verdict(for: best, headline: split))
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    /// The cell with the highest validation IIA on `split` (the first of equals).
    func bestCell(for split: String) -> Cell? {
        var best: Cell?
        for cell in cells where (cell.validationIIA[split] ?? -1) > (best?.validationIIA[split] ?? -1) { best = cell }
        return best
    }
}
