import Foundation
import Tensors

/// The contents of a safetensors file: float tensors (F32, F16 and BF16, read into Float32),
/// integer tensors (I64, I32) and the string metadata.
///
/// Format: an 8-byte little-endian header length `N`, a JSON header of `N` bytes mapping each
/// tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets into the data that
/// follows) plus an optional `"__metadata__"` of strings, then the data, little-endian, row-major.
public struct SafetensorsArchive {
    /// Integer data with its shape.
    public struct IntegerTensor: Equatable, Sendable {
        public var shape: [Int]
        public var values: [Int]
        public init(shape: [Int], values: [Int]) {
            self.shape = shape
            self.values = values
        }
    }

    /// Float tensors by name.
    public var tensors: [String: Tensor]
    /// Integer tensors by name.
    public var integerTensors: [String: IntegerTensor]
    /// The `__metadata__` strings.
    public var metadata: [String: String]
    /// The file it was read from, for error messages (`"<memory>"` otherwise).
    public var origin: String

    /// An archive to fill and write.
    public init(tensors: [String: Tensor] = [:], integerTensors: [String: IntegerTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.integerTensors = integerTensors
        self.metadata = metadata
        origin = "<memory>"
    }

    /// The float tensor `name`, checked against an expected shape when one is given.
    /// - Throws: `SafetensorsError.missingTensor` or `.shapeMismatch`, naming the file.
    public func tensor(_ name: String, shape: [Int]? = nil) throws -> Tensor {
        guard let tensor = tensors[name] else { throw SafetensorsError.missingTensor(file: origin, tensor: name) }
        if let shape, tensor.shape != shape {
            throw SafetensorsError.shapeMismatch(file: origin, tensor: name, expected: shape, found: tensor.shape)
        }
        return tensor
    }

    /// The integer tensor `name`.
    /// - Throws: `SafetensorsError.missingTensor`, naming the file.
    public func integerTensor(_ name: String) throws -> IntegerTensor {
        guard let tensor = integerTensors[name] else { throw SafetensorsError.missingTensor(file: origin, tensor: name) }
        return tensor
    }
}

extension SafetensorsArchive {
    /// Reads a safetensors file: the file is memory-mapped and each tensor converted straight from
    /// the mapped bytes (the Float32 arrays are the only copy).
    /// - Throws: `SafetensorsError` naming the file (and the tensor) for anything malformed.
    public init(contentsOf url: URL) throws {
        let file = try MappedFile(url: url)
        self = try file.withBytes { try SafetensorsArchive(bytes: $0, origin: url.path, release: file.release) }
    }

    /// Parses safetensors bytes; `origin` names them in errors.
    /// - Throws: `SafetensorsError` naming `origin` (and the tensor) for anything malformed.
    public init(data: Data, origin: String = "<memory>") throws {
        self = try data.withUnsafeBytes { try SafetensorsArchive(bytes: $0, origin: origin) }
    }

    /// Parses safetensors bytes through the validating header parser: every float tensor (F32,
    /// F16, BF16) into Float32, every I64 / I32 tensor into integers, other dtypes an error.
    /// `release` is told each tensor's bytes once they are converted.
    init(bytes: UnsafeRawBufferPointer, origin: String, release: (Range<Int>) -> Void = { _ in }) throws {
        let header = try SafetensorsHeader(parsing: bytes, file: origin)
        self.init(metadata: header.metadata)
        self.origin = origin
        for entry in header.entries {
            if entry.dtype.isInteger {
                integerTensors[entry.name] = IntegerTensor(shape: entry.shape, values: try header.integers(entry, in: bytes))
            } else {
                tensors[entry.name] = try Tensor(shape: entry.shape, scalars: header.floats(entry, in: bytes))
            }
            release(entry.bytes)
        }
    }

    /// The file's bytes: F32 and I64 tensors sorted by name, the header padded to a multiple of 8.
    public func serialized() -> Data {
        var entries: [String: Any] = [:]
        var payload = Data()
        for name in tensors.keys.sorted() {
            let tensor = tensors[name]!
            let begin = payload.count
            tensor.scalars.withUnsafeBytes { payload.append(contentsOf: $0) }
            entries[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [begin, payload.count]]
        }
        for name in integerTensors.keys.sorted() {
            let tensor = integerTensors[name]!
            let begin = payload.count
            tensor.values.map { Int64($0).littleEndian }.withUnsafeBytes { payload.append(contentsOf: $0) }
            entries[name] = ["dtype": "I64", "shape": tensor.shape, "data_offsets": [begin, payload.count]]
        }
        if !metadata.isEmpty { entries["__metadata__"] = metadata }
        var header = (try? JSONSerialization.data(withJSONObject: entries, options: [.sortedKeys])) ?? Data("{}".utf8)
        header.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8))
        var file = Data()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(header)
        file.append(payload)
        return file
    }

    /// Writes the archive atomically (a temporary file in the same folder, then a rename), so an
    /// existing file is never left half-written.
    /// - Throws: `SafetensorsError.unreadable` naming the file when it cannot be written.
    public func write(to url: URL) throws {
        do {
            try serialized().write(to: url, options: .atomic)
        } catch {
            throw SafetensorsError.unreadable(file: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
