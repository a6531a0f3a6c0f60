import Foundation
import JSONParsing
import Tensors

/// The weights of a checkpoint directory: `model.safetensors`, or the shards that
/// `model.safetensors.index.json` lists (its `"weight_map"`: tensor name -> shard file name).
/// Files are memory-mapped and their headers validated when the checkpoint opens; a tensor is
/// converted to Float32 (from F32, F16 or BF16) only when asked for, straight from the mapped bytes.
///
/// Immutable once opened; safe to read from several threads.
public final class SafetensorsCheckpoint: @unchecked Sendable {
    /// The single-file weights name in a checkpoint directory.
    public static let weightsFileName = "model.safetensors"
    /// The index of a sharded checkpoint.
    public static let indexFileName = "model.safetensors.index.json"

    /// One mapped file and its validated header.
    private struct Shard {
        var file: MappedFile
        var header: SafetensorsHeader
    }

    private let shards: [Shard]
    /// Each tensor's shard.
    private let location: [String: Int]
    /// What names the checkpoint in a missing-tensor error: the file, or the index of a sharded one.
    private let origin: String

    /// Opens the checkpoint in `directory`. A `model.safetensors` there is read as the whole
    /// checkpoint (as `transformers` prefers it); otherwise `model.safetensors.index.json` and its shards.
    /// - Throws: `SafetensorsError` naming the directory, the index or the shard at fault: no such
    ///   directory, neither file present, bad index JSON, a shard that is missing or malformed, a
    ///   tensor that is not in the shard the index names, or a tensor in two shards.
    public init(directory: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SafetensorsError.unreadable(
                file: directory.path,
                reason: FileManager.default.fileExists(atPath: directory.path)
                    ? "not a directory (a single file opens with SafetensorsCheckpoint(file:))" : "no such directory")
        }
        let single = directory.appendingPathComponent(SafetensorsCheckpoint.weightsFileName)
        let indexURL = directory.appendingPathComponent(SafetensorsCheckpoint.indexFileName)
        if FileManager.default.fileExists(atPath: single.path) {
            let shard = try SafetensorsCheckpoint.open(single)
            (shards, location, origin) = ([shard], SafetensorsCheckpoint.locations(of: [shard]), single.path)
        } else if FileManager.default.fileExists(atPath: indexURL.path) {
            (shards, location) = try SafetensorsCheckpoint.openShards(index: indexURL, directory: directory)
            origin = indexURL.path
        } else {
            throw SafetensorsError.unreadable(
                file: directory.path,
                reason: "holds neither \(SafetensorsCheckpoint.weightsFileName) nor \(SafetensorsCheckpoint.indexFileName)")
        }
    }

    /// Opens a single `.safetensors` file.
    /// - Throws: `SafetensorsError` naming the file.
    public init(file: URL) throws {
        let shard = try SafetensorsCheckpoint.open(file)
        (shards, location, origin) = ([shard], SafetensorsCheckpoint.locations(of: [shard]), file.path)
    }

    /// Every tensor's name, sorted.
    public var names: [String] { location.keys.sorted() }

    /// Whether the checkpoint holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { location[name] != nil }

    /// The stored dtype of `name` (`"F32"`, `"F16"`, `"BF16"`, `"I64"`, ...), `nil` when absent.
    public func dtype(of name: String) -> String? { entry(name)?.entry.dtype.rawValue }

    /// The shape of `name`, `nil` when absent.
    public func shape(of name: String) -> [Int]? { entry(name)?.entry.shape }

    /// The files read: the single file, or the shards in the order their names sort.
    public var files: [URL] { shards.map(\.file.url) }

    /// Parameter (element) count by stored dtype, e.g. `["BF16": 124_000_000]`.
    public var storedDTypes: [String: Int] {
        var counts: [String: Int] = [:]
        // Each count is bounded by its file's size, so the sums cannot overflow.
        for shard in shards { for entry in shard.header.entries { counts[entry.dtype.rawValue, default: 0] += entry.count } }
        return counts
    }

    /// The `__metadata__` strings of every file, merged (a later shard's value wins a repeated key).
    public var metadata: [String: String] {
        shards.reduce(into: [:]) { merged, shard in merged.merge(shard.header.metadata) { _, later in later } }
    }

    /// The tensor `name` as Float32 `[shape]`, converted from F32, F16 or BF16, checked against
    /// `shape` when one is given.
    /// - Throws: `SafetensorsError.missingTensor` naming the checkpoint (its file, or its index) and
    ///   the tensor; `.shapeMismatch` naming the shard and both shapes; `.unsupportedDType` for a
    ///   non-float tensor.
    public func tensor(_ name: String, shape: [Int]? = nil) throws -> Tensor {
        guard let (shard, entry) = entry(name) else { throw SafetensorsError.missingTensor(file: origin, tensor: name) }
        if let shape, shape != entry.shape {
            throw SafetensorsError.shapeMismatch(file: shard.file.url.path, tensor: name, expected: shape, found: entry.shape)
        }
        let scalars = try shard.file.withBytes { try shard.header.floats(entry, in: $0) }
        shard.file.release(entry.bytes)
        return try Tensor(shape: entry.shape, scalars: scalars)
    }

    /// The integer tensor `name` (stored I64 or I32).
    /// - Throws: `SafetensorsError.missingTensor` or `.unsupportedDType`.
    public func integerTensor(_ name: String) throws -> SafetensorsArchive.IntegerTensor {
        guard let (shard, entry) = entry(name) else { throw SafetensorsError.missingTensor(file: origin, tensor: name) }
        let values = try shard.file.withBytes { try shard.header.integers(entry, in: $0) }
        return SafetensorsArchive.IntegerTensor(shape: entry.shape, values: values)
    }

    private func entry(_ name: String) -> (shard: Shard, entry: SafetensorsHeader.Entry)? {
        guard let index = location[name] else { return nil }
        let shard = shards[index]
        return shard.header[name].map { (shard, $0) }
    }

    private static func open(_ url: URL) throws -> Shard {
        let file = try MappedFile(url: url)
        let header = try file.withBytes { try SafetensorsHeader(parsing: $0, file: url.path) }
        return Shard(file: file, header: header)
    }

    private static func locations(of shards: [Shard]) -> [String: Int] {
        var location: [String: Int] = [:]
        for (index, shard) in shards.enumerated() { for entry in shard.header.entries { location[entry.name] = index } }
        return location
    }

    /// Reads the index, maps each shard it names once, and checks that every tensor is where the
    /// index says and in no other shard.
    private static func openShards(index indexURL: URL, directory: URL) throws -> ([Shard], [String: Int]) {
        let weightMap = try readWeightMap(indexURL)
        let indexPath = indexURL.path
        let shardNames = Set(weightMap.map(\.shard)).sorted()
        var shards: [Shard] = []
        var shardIndex: [String: Int] = [:]
        for name in shardNames {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                let example = weightMap.first { $0.shard == name }!.tensor
                throw SafetensorsError.invalidIndex(
                    file: indexPath, reason: "weight_map puts tensor '\(example)' in shard '\(name)', which does not exist (\(url.path))")
            }
            shardIndex[name] = shards.count
            shards.append(try open(url))
        }
        var location: [String: Int] = [:]
        for (index, shard) in shards.enumerated() {
            for entry in shard.header.entries {
                if let other = location.updateValue(index, forKey: entry.name) {
                    throw SafetensorsError.invalidIndex(
                        file: indexPath,
                        reason: "tensor '\(entry.name)' is in two shards: \(shards[other].file.url.path) and \(shard.file.url.path)")
                }
            }
        }
        for (tensor, shard) in weightMap where location[tensor] != shardIndex[shard] {
            throw SafetensorsError.invalidIndex(
                file: indexPath,
                reason: "weight_map puts tensor '\(tensor)' in shard '\(shard)', but \(directory.appendingPathComponent(shard).path) "
                    + (location[tensor].map { "lacks it (it is in \(shards[$0].file.url.path))" } ?? "lacks it"))
        }
        return (shards, location)
    }

    /// The index's `weight_map` as (tensor, shard file name) pairs in file order.
    private static func readWeightMap(_ indexURL: URL) throws -> [(tensor: String, shard: String)] {
        let path = indexURL.path
        let file = try MappedFile(url: indexURL)
        let json: JSONValue
        do { json = try file.withBytes { try JSONParser.parse($0) } } catch let error as JSONSyntaxError {
            throw SafetensorsError.invalidIndex(file: path, reason: "not valid JSON: \(error.description)")
        }
        guard case let .object(members) = json else {
            throw SafetensorsError.invalidIndex(file: path, reason: "not a JSON object")
        }
        var weightMap: JSONValue?
        for member in members where member.key == "weight_map" {
            guard weightMap == nil else { throw SafetensorsError.invalidIndex(file: path, reason: "weight_map appears twice") }
            weightMap = member.value
        }
        guard case let .object(pairs)? = weightMap else {
            throw SafetensorsError.invalidIndex(file: path, reason: "needs a \"weight_map\" object (tensor name -> shard file name)")
        }
        var seen = Set<String>()
        var result: [(tensor: String, shard: String)] = []
        for (tensor, value) in pairs {
            guard let shard = value.string else {
                throw SafetensorsError.invalidIndex(file: path, reason: "weight_map['\(tensor)'] is \(value.summary), not a shard file name")
            }
            // A shard is a file beside the index: no paths that could leave the directory.
            guard !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw SafetensorsError.invalidIndex(file: path, reason: "weight_map['\(tensor)'] is '\(shard)', not a file name in the same directory")
            }
            guard seen.insert(tensor).inserted else {
                throw SafetensorsError.invalidIndex(file: path, reason: "weight_map lists tensor '\(tensor)' twice")
            }
            result.append((tensor, shard))
        }
        return result
    }
}
