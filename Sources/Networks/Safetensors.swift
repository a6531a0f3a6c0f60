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
    /// Reads a safetensors file.
    /// - Throws: `SafetensorsError` naming the file (and the tensor) for anything malformed.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SafetensorsError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data, origin: url.path)
    }

    /// Parses safetensors bytes; `origin` names them in errors.
    public init(data: Data, origin: String = "<memory>") throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else {
            throw SafetensorsError.truncated(file: origin, reason: "\(bytes.count) bytes, fewer than the 8-byte header length")
        }
        let headerLength = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw SafetensorsError.truncated(file: origin, reason: "header length \(headerLength) exceeds the \(bytes.count - 8) bytes after it")
        }
        let dataStart = 8 + Int(headerLength)
        let header: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) as? [String: Any] else {
                throw SafetensorsError.invalidHeader(file: origin, reason: "the header is not a JSON object")
            }
            header = object
        } catch let error as SafetensorsError {
            throw error
        } catch {
            throw SafetensorsError.invalidHeader(file: origin, reason: "the header is not valid JSON")
        }
        self.init()
        self.origin = origin
        if let metadata = header["__metadata__"] {
            guard let strings = metadata as? [String: String] else {
                throw SafetensorsError.invalidHeader(file: origin, reason: "__metadata__ must map strings to strings")
            }
            self.metadata = strings
        }
        let dataLength = bytes.count - dataStart
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw SafetensorsError.invalidTensor(file: origin, tensor: name, reason: "entry needs dtype (string), shape (integers) and data_offsets ([begin, end])")
            }
            guard let width = SafetensorsArchive.byteWidth[dtype] else {
                throw SafetensorsError.unsupportedDType(file: origin, tensor: name, dtype: dtype)
            }
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw SafetensorsError.invalidTensor(file: origin, tensor: name, reason: "shape \(shape) has a negative dimension")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard 0 <= begin, begin <= end, end <= dataLength else {
                throw SafetensorsError.invalidTensor(file: origin, tensor: name, reason: "data_offsets [\(begin), \(end)] leave the \(dataLength) data bytes")
            }
            let count = shape.reduce(1, *)
            guard end - begin == count * width else {
                throw SafetensorsError.invalidTensor(
                    file: origin, tensor: name,
                    reason: "shape \(shape) of \(dtype) needs \(count * width) bytes, data_offsets give \(end - begin)")
            }
            let raw = bytes[(dataStart + begin)..<(dataStart + end)]
            switch dtype {
            case "I64", "I32":
                integerTensors[name] = IntegerTensor(shape: shape, values: SafetensorsArchive.integers(raw, width: width))
            default:
                tensors[name] = try Tensor(shape: shape, scalars: SafetensorsArchive.floats(raw, dtype: dtype))
            }
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

    private static let byteWidth = ["F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4]

    private static func floats(_ raw: ArraySlice<UInt8>, dtype: String) -> [Float] {
        raw.withUnsafeBytes { buffer in
            switch dtype {
            case "F16":
                return (0..<(buffer.count / 2)).map { Float(Float16(bitPattern: UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))) }
            case "BF16":
                return (0..<(buffer.count / 2)).map { Float(bitPattern: UInt32(UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) << 16) }
            default:
                return (0..<(buffer.count / 4)).map { Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
        }
    }

    private static func integers(_ raw: ArraySlice<UInt8>, width: Int) -> [Int] {
        raw.withUnsafeBytes { buffer in
            (0..<(buffer.count / width)).map {
                width == 8 ? Int(Int64(littleEndian: buffer.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)))
                    : Int(Int32(littleEndian: buffer.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)))
            }
        }
    }
}
