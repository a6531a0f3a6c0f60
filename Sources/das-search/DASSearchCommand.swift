import ArgumentParser
import CommandLineSupport
import Foundation
import Tensors

/// `das-search`: where, and in how many dimensions, does a network hold a causal variable?
@main
struct DASSearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "das-search",
        abstract: "Search a network's layers and subspace sizes for the causal variables of a task, by distributed alignment search.",
        discussion: """
            For every hidden layer and subspace size, DAS learns a rotation of that layer in which each causal variable \
            owns a block of coordinates, and scores it by interchange intervention accuracy (IIA): how often swapping a \
            variable's block in from another input changes the network's output exactly as the causal model says. \
            Every cell is reported beside three controls: the neuron interchange on the same number of dimensions, an \
            untrained random rotation, and DAS on a random-weight network of the same shape. A high IIA means little \
            unless the controls are low.

            The counterfactuals come in three splits drawn apart: training, validation (the best cell and restart are \
            chosen on it) and test (scored once per run). One DAS seed, the default, shows the binomial interval of each \
            IIA; --seeds 5 runs every cell over five DAS seeds and shows medians with 95% bootstrap intervals.

            With no arguments it runs the built-in hierarchical-equality experiment: trains (or reuses) a 16-16-16 ReLU \
            MLP, searches layers 0-2 x sizes 1, 2, 4, 8, prints a table, and writes the report and plots to \
            das-search-output/.

            Examples:
              das-search
              das-search --seeds 5 --restarts 2
              das-search --task sum --dims 1,2,4,8,16 --epochs 10
              das-search --task hierarchical-equality --layers 0 --dims 8 --method neurons
              das-search --shard 2/3 --json part2.json     (then: das-search merge part*.json --json report.json)
              das-search --task price-tagging --positions X,Y,Z,last --seeds 3     (a transformer: boundless DAS over layers x positions)
              das-search --task price-tagging --positions X,Y,Z,last --method patching
            """,
        subcommands: [SearchCommand.self, MergeCommand.self],
        defaultSubcommand: SearchCommand.self
    )

    /// Parses and runs; errors print one line on stderr and exit with 2 (usage) or 1 (runtime).
    static func main() {
        LinearAlgebraBackend.prepareProcess()
        runAsCommandLineTool(name: "das-search")
    }
}
