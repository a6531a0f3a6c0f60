import Foundation
import Tensors

/// The architecture of a `MultilayerPerceptron`, stored as its `config.json`:
/// `{"format": "interchange.mlp", "version": 1, "input_dimension": 16, "hidden_dimensions": [16, 16, 16],
///   "output_dimension": 2, "activation": "relu"}`.
public struct MLPConfiguration: Codable, Equatable, Hashable, Sendable {
    /// The value of `format` in every MLP config file.
    public static let format = "interchange.mlp"
    /// The version this code writes and reads.
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    /// The width of an input row.
    public var inputDimension: Int
    /// The width of each hidden layer, in order; site `layer.<i>` has width `hiddenDimensions[i]`.
    public var hiddenDimensions: [Int]
    /// The number of output classes (logits).
    public var outputDimension: Int
    /// The hidden layers' nonlinearity.
    public var activation: Activation

    enum CodingKeys: String, CodingKey {
        case format, version, activation
        case inputDimension = "input_dimension"
        case hiddenDimensions = "hidden_dimensions"
        case outputDimension = "output_dimension"
    }

    /// A configuration; see the properties.
    public init(inputDimension: Int, hiddenDimensions: [Int], outputDimension: Int, activation: Activation = .relu) {
        format = MLPConfiguration.format
        version = MLPConfiguration.currentVersion
        self.inputDimension = inputDimension
        self.hiddenDimensions = hiddenDimensions
        self.outputDimension = outputDimension
        self.activation = activation
    }

    /// Reads and validates the bytes of a `config.json`; `file` names it in errors.
    /// - Throws: `NetworkError.invalidConfiguration` naming `file` and the field (JSON errors included).
    public init(json data: Data, file: String) throws {
        do {
            self = try JSONDecoder().decode(MLPConfiguration.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw NetworkError.invalidConfiguration(file: file, field: key.stringValue, reason: "missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            throw NetworkError.invalidConfiguration(file: file, field: context.codingPath.map(\.stringValue).joined(separator: "."),
                                                    reason: context.debugDescription)
        } catch {
            throw NetworkError.invalidConfiguration(file: file, field: "(file)", reason: error.localizedDescription)
        }
        try validate(file: file)
    }

    /// Checks that every size is positive and the format and version are this code's.
    /// - Throws: `NetworkError.invalidConfiguration` naming the file and field.
    public func validate(file: String) throws {
        func fail(_ field: String, _ reason: String) -> NetworkError {
            .invalidConfiguration(file: file, field: field, reason: reason)
        }
        guard format == MLPConfiguration.format else { throw fail("format", "expected \"\(MLPConfiguration.format)\", found \"\(format)\"") }
        guard version == MLPConfiguration.currentVersion else {
            throw fail("version", "this build reads version \(MLPConfiguration.currentVersion), found \(version)")
        }
        guard inputDimension > 0 else { throw fail("input_dimension", "must be positive, found \(inputDimension)") }
        guard !hiddenDimensions.isEmpty, hiddenDimensions.allSatisfy({ $0 > 0 }) else {
            throw fail("hidden_dimensions", "must be a non-empty list of positive widths, found \(hiddenDimensions)")
        }
        guard outputDimension > 0 else { throw fail("output_dimension", "must be positive, found \(outputDimension)") }
        // The sizes come from a file: every weight count, their total and its memory are checked before
        // anything multiplies or allocates them, so a width of 2**62 is an error naming the field, not a trap.
        let widths = [inputDimension] + hiddenDimensions + [outputDimension]
        var parameterCounts: [Int] = []
        for layer in 0..<widths.count - 1 {
            let field = layer < hiddenDimensions.count ? "hidden_dimensions[\(layer)]" : "output_dimension"
            do {
                let weights = try CheckedSize.product([widths[layer + 1], widths[layer]], of: "\(field) weights [\(widths[layer + 1]), \(widths[layer])]")
                parameterCounts.append(try CheckedSize.sum([weights, widths[layer + 1]], of: "\(field) weights and biases"))
            } catch { throw fail(field, "\(error)") }
        }
        do {
            let total = try CheckedSize.sum(parameterCounts, of: "the network's parameter count")
            _ = try CheckedSize.allocation(count: total, elementSize: MemoryLayout<Float>.stride, of: "the network's \(total) parameters")
        } catch { throw fail("hidden_dimensions", "\(error)") }
    }

    /// A stable 16-hex-digit digest of the architecture, for caching trained networks by config.
    public var digest: String {
        let text = "\(inputDimension)|\(hiddenDimensions)|\(outputDimension)|\(activation.rawValue)"
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16).leftPadded(to: 16)
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}
