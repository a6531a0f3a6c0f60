import Interventions

/// How the variables' subspaces are found.
public enum AlignmentMethod: String, Codable, Sendable, CaseIterable {
    /// DAS: a learned rotation, each variable owning a fixed block of rotated coordinates.
    case rotation
    /// Boundless DAS: a learned rotation and a learned soft interval of coordinates (one variable).
    case boundless
    /// A learned rotation and learned sigmoid gates on its coordinates (one variable).
    case sigmoidMask = "sigmoid-mask"
    /// The plain neuron interchange: each variable owns a block of neurons; nothing is learned.
    case neurons
}

/// Everything that defines one DAS run at one site.
public struct DASConfiguration: Codable, Sendable, Equatable {
    /// Where in the network the variables are sought, e.g. `layer.1`.
    public var site: String
    /// The causal variables aligned, in subspace order.
    public var variables: [String]
    /// The number of rotated coordinates (or neurons) each variable owns.
    public var subspaceSizes: [Int]
    public var method: AlignmentMethod
    /// The rotation's rank `k`; `nil` for a full `d x d` rotation.
    public var rank: Int?
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    /// The share of steps spent warming the learning rate up.
    public var warmupFraction: Float
    /// Whether the learning rate decays linearly to 0 after the warm-up (otherwise it stays constant, as in pyvene's tutorial).
    public var decaysLearningRate: Bool
    /// Seeds the rotation's initialization and the order of examples.
    public var seed: UInt64
    /// The annealed temperature of boundless and sigmoid-mask DAS, from `temperatureStart` to `temperatureEnd`.
    public var temperatureStart: Float
    public var temperatureEnd: Float
    /// Early stopping on validation IIA (rotation method; needs validation data); `nil` trains every planned step.
    public var earlyStopping: EarlyStopping?
    /// The token position of a transformer site (`last`, a template slot such as `X`, or an index);
    /// `nil` for an MLP, whose site has no positions.
    public var position: String? = nil

    public init(site: String, variables: [String], subspaceSizes: [Int], method: AlignmentMethod = .rotation, rank: Int? = nil,
                epochs: Int = 5, batchSize: Int = 64, learningRate: Float = 0.001, warmupFraction: Float = 0,
                decaysLearningRate: Bool = true, seed: UInt64 = 0, temperatureStart: Float = 50, temperatureEnd: Float = 0.1,
                earlyStopping: EarlyStopping? = nil) {
        self.site = site
        self.variables = variables
        self.subspaceSizes = subspaceSizes
        self.method = method
        self.rank = rank
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.warmupFraction = warmupFraction
        self.decaysLearningRate = decaysLearningRate
        self.seed = seed
        self.temperatureStart = temperatureStart
        self.temperatureEnd = temperatureEnd
        self.earlyStopping = earlyStopping
    }
}

extension DASConfiguration {
    /// Checks that the variables, sizes and training settings fit each other and a site of `width`
    /// (shared by the MLP and the transformer searches).
    /// - Throws: `AlignmentError.invalidConfiguration` or `.subspaceTooLarge` naming what does not fit.
    func validate(at site: Site, width: Int) throws {
        let sizes = subspaceSizes
        guard !variables.isEmpty, sizes.count == variables.count else {
            throw AlignmentError.invalidConfiguration("\(variables.count) variables need as many subspace sizes, got \(sizes)")
        }
        guard sizes.allSatisfy({ $0 > 0 }), sizes.reduce(0, +) <= min(width, rank ?? width) else {
            throw AlignmentError.subspaceTooLarge(site: site, sizes: sizes, width: min(width, rank ?? width))
        }
        guard epochs >= 0, batchSize >= 1, learningRate > 0, (0..<1).contains(warmupFraction) else {
            throw AlignmentError.invalidConfiguration("epochs must be ≥ 0, batch size ≥ 1, learning rate > 0 and warm-up fraction in [0, 1)")
        }
    }
}
