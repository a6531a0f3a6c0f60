import Foundation
import Reports

/// What the four ReFT tutorials share: the committed corpus, the flags that find it and the cache,
/// and the base model pretrained on it (once, then read from the cache).
public enum ReFTTutorialSetup {
    /// The world's seed and the corpus's: `datasets/animal-facts-corpus.txt` is
    /// `AnimalFactsWorld(seed: worldSeed).corpus(lineCount: corpusLines, seed: corpusSeed)`.
    public static let worldSeed: UInt64 = 0, corpusSeed: UInt64 = 1, corpusLines = 6000
    /// The committed corpus, relative to the package root (where `swift run` runs).
    public static let corpusPath = "datasets/animal-facts-corpus.txt"

    /// The world the corpus tells.
    public static var world: AnimalFactsWorld { AnimalFactsWorld(seed: worldSeed) }

    /// The corpus text, generated.
    public static func corpusText() -> String { world.corpus(lineCount: corpusLines, seed: corpusSeed) }

    /// The flags every tutorial takes (`--out` is each tutorial's own).
    public static let commonFlags: [NotebookFlags.Flag] = [
        .option("--cache", "DIR", "Where the pretrained base model is cached (default .interchange-cache)."),
        .option("--corpus", "FILE", "The pretraining corpus (default \(corpusPath); its facts must be the built-in world's)."),
        .option("--pretrain-epochs", "N", "Passes over the corpus when pretraining the base model (default 15)."),
        .option("--seed", "N", "Seed of the adapters and the data splits (default 0)."),
    ]

    /// The base model for `flags`: the recipe's defaults with `--pretrain-epochs`, pretrained on
    /// `--corpus` (a progress bar on stderr) or read from `--cache`; prints one line on where it came from.
    public static func base(flags: NotebookFlags) throws -> ReFTTutorialBase {
        var recipe = ReFTTutorialBaseRecipe()
        recipe.epochs = flags.integer("--pretrain-epochs", default: recipe.epochs, in: 1...1000)
        let corpusPath = flags.value(of: "--corpus") ?? Self.corpusPath
        let corpus: String
        do { corpus = try String(contentsOfFile: corpusPath, encoding: .utf8) } catch {
            throw ReFTTutorialError.file(path: corpusPath, reason: "cannot read the corpus (run from the package root, or give --corpus): \(error.localizedDescription)")
        }
        let cache = URL(fileURLWithPath: flags.value(of: "--cache") ?? ".interchange-cache", isDirectory: true)
        var bar: ProgressBar?
        let base = try ReFTTutorialBase.pretrained(recipe: recipe, corpus: corpus, world: world, cacheRoot: cache) { epoch, step, steps, loss in
            if step == 1 { bar = ProgressBar(label: "pretraining epoch \(epoch)/\(recipe.epochs)", total: steps) }
            bar?.update(completed: step, note: String(format: "loss %.3f", loss))
        }
        let m = base.metadata
        print("""
            Base model: GPT-2 style, \(m.recipe.layers) blocks of width \(m.recipe.width), \(m.recipe.heads) heads, \
            \(m.recipe.maxPositions) positions, \(m.parameterCount) parameters, \(base.tokenizer.vocabularySize) tokens \
            (one per corpus word, plus the 256 bytes and end-of-text).
            Pretrained on \(corpusPath) (\(m.corpusTokens) tokens, windows of \(m.recipe.sequenceLength)) for \(m.recipe.epochs) epochs \
            in \(String(format: "%.0f", m.trainingSeconds)) s; last epoch's loss \(String(format: "%.3f", m.epochLosses.last ?? .nan)). \
            \(base.fromCache ? "Read from the cache" : "Cached") at \(base.directory.path).
            """)
        return base
    }
}
