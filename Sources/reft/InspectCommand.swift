import ArgumentParser
import CommandLineSupport
import Foundation
import Interventions
import Transformers

/// `reft inspect`: what a checkpoint is, and whether it loads.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a checkpoint: architecture, intervention sites, parameter count, dtypes on disk.",
        discussion: """
            Reads config.json and every weight (so a checkpoint that inspects cleanly also loads), then prints the \
            architecture, the sites interventions can name (embedding and layer.<i>.block_input, .attention_output, \
            .mlp_output, .block_output), the parameter count (a tied embedding counted once) and how the weights are \
            stored. With --json, writes {"schema": "interchange.reft.inspect", "version": 1, ...}.

            Example:
              reft inspect --model ./tiny-llama
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp("Also write the description as JSON here.", valueName: "path"))
    var json: String?

    func run() throws {
        try checkWritable(json)
        let configuration = try modelOptions.loadConfiguration()
        let checkpoint = try modelOptions.loadCheckpoint()
        let model = try runtime { try Transformer(configuration: configuration, checkpoint: checkpoint) }
        let report = InspectReport(configuration: configuration, sites: model.sites.map(\.description),
                                   parameterCount: model.parameterCount, storedDTypes: checkpoint.storedDTypes,
                                   files: checkpoint.files.map(\.lastPathComponent))
        print(report.table)
        if let json { try writeJSON(report, to: json) }
    }
}

/// `reft inspect`'s findings.
struct InspectReport: Encodable {
    var schema = "interchange.reft.inspect"
    var version = 1
    let modelType: String
    let family: String
    let layers: Int
    let width: Int
    let heads: Int
    let keyValueHeads: Int
    let headWidth: Int
    let mlpWidth: Int
    let vocabularySize: Int
    let maxPositions: Int
    let tiedEmbeddings: Bool
    let ropeTheta: Double?
    let ropeScaling: String?
    let sites: [String]
    let parameterCount: Int
    let storedDTypes: [String: Int]
    let files: [String]

    enum CodingKeys: String, CodingKey {
        case schema, version, family, layers, width, heads, sites, files
        case modelType = "model_type", keyValueHeads = "key_value_heads", headWidth = "head_width", mlpWidth = "mlp_width"
        case vocabularySize = "vocabulary_size", maxPositions = "max_positions", tiedEmbeddings = "tied_embeddings"
        case ropeTheta = "rope_theta", ropeScaling = "rope_scaling", parameterCount = "parameter_count"
        case storedDTypes = "stored_dtypes"
    }

    init(configuration c: TransformerConfiguration, sites: [String], parameterCount: Int, storedDTypes: [String: Int], files: [String]) {
        modelType = c.modelType
        family = c.family.rawValue
        layers = c.layerCount
        width = c.hiddenSize
        heads = c.headCount
        keyValueHeads = c.keyValueHeadCount
        headWidth = c.headDimension
        mlpWidth = c.intermediateSize
        vocabularySize = c.vocabularySize
        maxPositions = c.maxPositions
        tiedEmbeddings = c.tiedEmbeddings
        ropeTheta = c.family == .llama ? c.ropeTheta : nil
        switch c.ropeScaling {
        case .none: ropeScaling = nil
        case let .llama3(factor, low, high, context):
            ropeScaling = "llama3 (factor \(factor), low \(low), high \(high), original context \(context))"
        }
        self.sites = sites
        self.parameterCount = parameterCount
        self.storedDTypes = storedDTypes
        self.files = files
    }

    /// The description as aligned lines.
    var table: String {
        var rows: [(String, String)] = [
            ("model type", "\(modelType) (\(family) family)"),
            ("layers", "\(layers)"),
            ("width", "\(width)"),
            ("attention", keyValueHeads == heads ? "\(heads) heads of \(headWidth)"
                : "\(heads) query heads, \(keyValueHeads) key/value heads (grouped), each \(headWidth) wide"),
            ("MLP width", "\(mlpWidth)"),
            ("vocabulary", "\(vocabularySize)"),
            ("positions", family == "gpt2" ? "\(maxPositions) (learned)" : "RoPE θ = \(ropeTheta.map { String($0) } ?? "?"), up to \(maxPositions)"),
        ]
        if let ropeScaling { rows.append(("RoPE scaling", ropeScaling)) }
        rows += [
            ("head", tiedEmbeddings ? "tied to the token embedding" : "its own matrix"),
            ("parameters", Self.grouped(parameterCount)),
            ("on disk", storedDTypes.sorted { $0.key < $1.key }.map { "\($0.key): \(Self.grouped($0.value))" }.joined(separator: ", ")),
            ("files", files.joined(separator: ", ")),
            ("sites", "\(sites.count): embedding, then layer.0 … layer.\(layers - 1), each .block_input .attention_output .mlp_output .block_output"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }

    /// `1234567` as `1,234,567`.
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        return digits.enumerated().map { index, digit in
            index > 0 && (digits.count - index) % 3 == 0 ? ",\(digit)" : "\(digit)"
        }.joined()
    }
}
