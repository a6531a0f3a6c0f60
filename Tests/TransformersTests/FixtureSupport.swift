import Foundation
import Networks
import Tensors
import Testing
@testable import Transformers

/// The committed fixture models (Tests/Fixtures/models/<name>, made by scripts/make_fixtures.py).
enum Fixtures {
    static let modelsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models")

    static let modelNames = ["gpt2", "llama-gqa", "qwen2-bias", "llama-sharded", "llama-bf16"]

    static func directory(_ name: String) -> URL { modelsDirectory.appendingPathComponent(name) }

    static func model(_ name: String) throws -> Transformer {
        try Transformer(directory: directory(name))
    }

    static func reference(_ name: String) throws -> SafetensorsArchive {
        try SafetensorsArchive(contentsOf: directory(name).appendingPathComponent("reference.safetensors"))
    }

    /// An integer tensor `[rows, columns]` as rows.
    static func rows(_ archive: SafetensorsArchive, _ key: String) throws -> [[Int]] {
        let tensor = try archive.integerTensor(key)
        let columns = tensor.shape[1]
        return (0..<tensor.shape[0]).map { Array(tensor.values[($0 * columns)..<(($0 + 1) * columns)]) }
    }
}

/// The largest |a − b| over the positions `(example, position)` where `mask` is 1, for tensors
/// `[batch, seq, width]` of the same shape.
func maxDifference(_ a: Tensor, _ b: Tensor, mask: [[Int]]) -> Float {
    precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape)")
    let (seq, width) = (a.shape[1], a.shape[2])
    var largest: Float = 0
    for (example, row) in mask.enumerated() {
        for (position, real) in row.enumerated() where real == 1 {
            let start = (example * seq + position) * width
            for i in start..<(start + width) { largest = max(largest, abs(a.scalars[i] - b.scalars[i])) }
        }
    }
    return largest
}
