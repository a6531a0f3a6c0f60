import Foundation
import JSONParsing
import Tensors

/// The element types the safetensors format defines with a whole number of bytes per element.
/// All of them parse; `F32`, `F16` and `BF16` convert to Float32 and `I64`, `I32` to integers.
enum SafetensorsDType: String, CaseIterable {
    case bool = "BOOL", u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3", f8e8m0 = "F8_E8M0"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case f64 = "F64", i64 = "I64", u64 = "U64"

    /// Bytes per element.
    var size: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }

    /// Whether `SafetensorsHeader.floats` converts it to Float32.
    var isFloat: Bool { self == .f32 || self == .f16 || self == .bf16 }
    /// Whether `SafetensorsHeader.integers` converts it to `Int`.
    var isInteger: Bool { self == .i64 || self == .i32 }
}

/// A safetensors file's header, parsed and validated in one place: every entry's dtype, shape and
/// byte range are checked against each other and against the file before any tensor is read.
///
/// Rules (from the format's specification): 8-byte little-endian header length `N`; `N` bytes of
/// UTF-8 JSON starting with `{` (trailing spaces allowed), at most 100,000,000 bytes as in the
/// reference implementation; each entry exactly `{"dtype", "shape", "data_offsets"}`;
/// `data_offsets` relative to the data that follows the header; the data "entirely indexed" —
/// the byte ranges, sorted, tile the data with no gap, no overlap and no trailing bytes.
struct SafetensorsHeader {
    /// One tensor's entry.
    struct Entry {
        var name: String
        var dtype: SafetensorsDType
        var shape: [Int]
        /// The element count, `shape`'s product (checked).
        var count: Int
        /// The tensor's bytes as offsets into the whole file (header included).
        var bytes: Range<Int>
    }

    /// The largest header accepted (the reference implementation's limit).
    static let maximumHeaderLength = 100_000_000

    /// The file, for error messages.
    var file: String
    /// The entries in header order.
    var entries: [Entry]
    /// Each tensor's index in `entries`.
    var index: [String: Int]
    /// The `__metadata__` strings.
    var metadata: [String: String]

    /// The entry for `name`.
    subscript(name: String) -> Entry? { index[name].map { entries[$0] } }

    /// Parses and validates the header of the safetensors file whose bytes are `bytes`.
    /// - Throws: `SafetensorsError` naming `file` (and the tensor at fault).
    init(parsing bytes: UnsafeRawBufferPointer, file: String) throws {
        self.file = file
        guard bytes.count >= 8 else {
            throw SafetensorsError.truncated(file: file, reason: "\(bytes.count) bytes, fewer than the 8-byte header length")
        }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(bytes.count - 8) else {
            throw SafetensorsError.truncated(file: file, reason: "header length \(declared) exceeds the \(bytes.count - 8) bytes after it")
        }
        guard declared <= UInt64(SafetensorsHeader.maximumHeaderLength) else {
            throw SafetensorsError.invalidHeader(
                file: file, reason: "header length \(declared) is over the \(SafetensorsHeader.maximumHeaderLength)-byte limit")
        }
        let dataStart = 8 + Int(declared)
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart])
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw SafetensorsError.invalidHeader(file: file, reason: "the header is not a JSON object (it must start with '{')")
        }
        let json: JSONValue
        do throws(JSONSyntaxError) { json = try JSONParser.parse(headerBytes) } catch {
            throw SafetensorsError.invalidHeader(file: file, reason: "the header is not valid JSON: \(error.description) of the header")
        }
        guard case let .object(members) = json else {
            throw SafetensorsError.invalidHeader(file: file, reason: "the header is not a JSON object")
        }
        let dataLength = bytes.count - dataStart
        entries = []
        index = [:]
        metadata = [:]
        var sawMetadata = false
        for (name, value) in members {
            if name == "__metadata__" {
                guard !sawMetadata else { throw SafetensorsError.invalidHeader(file: file, reason: "__metadata__ appears twice") }
                sawMetadata = true
                metadata = try SafetensorsHeader.metadata(value, file: file)
                continue
            }
            guard index[name] == nil else {
                throw SafetensorsError.invalidTensor(file: file, tensor: name, reason: "the header lists this tensor twice")
            }
            let entry = try SafetensorsHeader.entry(name, value, file: file, dataStart: dataStart, dataLength: dataLength)
            index[name] = entries.count
            entries.append(entry)
        }
        try checkCoverage(dataStart: dataStart, dataLength: dataLength)
    }

    private static func metadata(_ value: JSONValue, file: String) throws -> [String: String] {
        guard case let .object(members) = value else {
            throw SafetensorsError.invalidHeader(file: file, reason: "__metadata__ must map strings to strings, not \(value.summary)")
        }
        var strings: [String: String] = [:]
        for (key, value) in members {
            guard let string = value.string else {
                throw SafetensorsError.invalidHeader(file: file, reason: "__metadata__ must map strings to strings; '\(key)' is \(value.summary)")
            }
            guard strings.updateValue(string, forKey: key) == nil else {
                throw SafetensorsError.invalidHeader(file: file, reason: "__metadata__ lists '\(key)' twice")
            }
        }
        return strings
    }

    private static func entry(_ name: String, _ value: JSONValue, file: String, dataStart: Int, dataLength: Int) throws -> Entry {
        func invalid(_ reason: String) -> SafetensorsError { .invalidTensor(file: file, tensor: name, reason: reason) }
        let layout = "entry needs dtype (string), shape (integers) and data_offsets ([begin, end])"
        guard case let .object(members) = value else { throw invalid("\(layout), not \(value.summary)") }
        var fields: [String: JSONValue] = [:]
        for (key, field) in members {
            guard ["dtype", "shape", "data_offsets"].contains(key) else { throw invalid("\(layout); unexpected key '\(key)'") }
            guard fields.updateValue(field, forKey: key) == nil else { throw invalid("\(layout); '\(key)' appears twice") }
        }
        guard let dtypeName = fields["dtype"]?.string else {
            throw invalid("\(layout); dtype is \(fields["dtype"]?.summary ?? "missing")")
        }
        guard case let .array(dims)? = fields["shape"], dims.allSatisfy({ $0.integer != nil }) else {
            throw invalid("\(layout); shape is \(fields["shape"]?.summary ?? "missing")")
        }
        guard case let .array(offsets)? = fields["data_offsets"], offsets.count == 2,
              let begin = offsets[0].integer, let end = offsets[1].integer else {
            throw invalid("\(layout); data_offsets is \(fields["data_offsets"]?.summary ?? "missing")")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw SafetensorsError.unsupportedDType(file: file, tensor: name, dtype: dtypeName)
        }
        let shape = dims.map { $0.integer! }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw invalid("shape \(shape) has a negative dimension") }
        guard 0 <= begin, begin <= end, end <= dataLength else {
            throw invalid("data_offsets [\(begin), \(end)] leave the \(dataLength) data bytes")
        }
        let count: Int
        let byteCount: Int
        do {
            count = try CheckedSize.product(shape, of: "element count of shape \(shape)")
            byteCount = try CheckedSize.bytes(count: count, elementSize: dtype.size, of: "bytes of shape \(shape) of \(dtypeName)")
        } catch let error as SizeError {
            throw invalid(error.description)
        }
        guard end - begin == byteCount else {
            throw invalid("shape \(shape) of \(dtypeName) needs \(byteCount) bytes, data_offsets give \(end - begin)")
        }
        // dataStart + end <= file size, which is an Int: no overflow.
        return Entry(name: name, dtype: dtype, shape: shape, count: count, bytes: (dataStart + begin)..<(dataStart + end))
    }

    /// The data must be entirely indexed: sorted by offset, each range starts where the previous ended,
    /// and the last ends at the end of the file.
    private func checkCoverage(dataStart: Int, dataLength: Int) throws {
        let sorted = entries.sorted { ($0.bytes.lowerBound, $0.bytes.upperBound) < ($1.bytes.lowerBound, $1.bytes.upperBound) }
        var covered = dataStart
        var previous: Entry?
        for entry in sorted {
            if entry.bytes.lowerBound < covered, let previous {
                throw SafetensorsError.invalidTensor(
                    file: file, tensor: entry.name,
                    reason: "data_offsets [\(entry.bytes.lowerBound - dataStart), \(entry.bytes.upperBound - dataStart)] overlap tensor "
                        + "'\(previous.name)' at [\(previous.bytes.lowerBound - dataStart), \(previous.bytes.upperBound - dataStart)]")
            }
            if entry.bytes.lowerBound > covered {
                throw SafetensorsError.invalidTensor(
                    file: file, tensor: entry.name,
                    reason: "data bytes \(covered - dataStart)..<\(entry.bytes.lowerBound - dataStart) before it belong to no tensor "
                        + "(the data must be entirely indexed)")
            }
            covered = entry.bytes.upperBound
            if !entry.bytes.isEmpty { previous = entry }
        }
        if covered < dataStart + dataLength {
            throw SafetensorsError.invalidHeader(
                file: file,
                reason: "data bytes \(covered - dataStart)..<\(dataLength) belong to no tensor "
                    + "(the data must be entirely indexed; \(dataLength - (covered - dataStart)) trailing bytes)")
        }
    }
}

extension SafetensorsHeader {
    /// The Float32 values of a float entry, converted straight from the file's bytes into the
    /// result's storage (F32 is one `memcpy`).
    /// - Throws: `SafetensorsError.unsupportedDType` for a non-float dtype, `.invalidTensor` when
    ///   the Float32 copy would not fit in memory.
    func floats(_ entry: Entry, in bytes: UnsafeRawBufferPointer) throws -> [Float] {
        guard entry.dtype.isFloat else {
            throw SafetensorsError.unsupportedDType(file: file, tensor: entry.name, dtype: entry.dtype.rawValue)
        }
        do {
            _ = try CheckedSize.allocation(count: entry.count, elementSize: MemoryLayout<Float>.stride,
                                           of: "Float32 copy of shape \(entry.shape)")
        } catch let error as SizeError {
            throw SafetensorsError.invalidTensor(file: file, tensor: entry.name, reason: error.description)
        }
        let source = UnsafeRawBufferPointer(rebasing: bytes[entry.bytes])
        return [Float](unsafeUninitializedCapacity: entry.count) { buffer, initialized in
            SafetensorsHeader.convert(source, dtype: entry.dtype, into: buffer)
            initialized = entry.count
        }
    }

    /// The integer values of an `I64` or `I32` entry.
    /// - Throws: `SafetensorsError.unsupportedDType` for other dtypes.
    func integers(_ entry: Entry, in bytes: UnsafeRawBufferPointer) throws -> [Int] {
        guard entry.dtype.isInteger else {
            throw SafetensorsError.unsupportedDType(file: file, tensor: entry.name, dtype: entry.dtype.rawValue)
        }
        let source = UnsafeRawBufferPointer(rebasing: bytes[entry.bytes])
        return [Int](unsafeUninitializedCapacity: entry.count) { buffer, initialized in
            for i in 0..<entry.count {
                buffer[i] = entry.dtype == .i64
                    ? Int(Int64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                    : Int(Int32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            }
            initialized = entry.count
        }
    }

    /// Little-endian F32 / F16 / BF16 elements of `source` into `target` (same element count).
    private static func convert(_ source: UnsafeRawBufferPointer, dtype: SafetensorsDType, into target: UnsafeMutableBufferPointer<Float>) {
        guard let output = target.baseAddress, target.count > 0 else { return }
        switch dtype {
        case .f32:
            #if _endian(little)
            // The file's little-endian IEEE floats are the host's: copy the bytes.
            UnsafeMutableRawPointer(output).copyMemory(from: source.baseAddress!, byteCount: source.count)
            #else
            for i in 0..<target.count {
                output[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            #endif
        case .f16:
            for i in 0..<target.count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                output[i] = Float(Float16(bitPattern: bits))
            }
        case .bf16:
            // BF16 is the top half of a Float32: shift its bits into place.
            for i in 0..<target.count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                output[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        default:
            preconditionFailure("convert is called only for float dtypes")
        }
    }
}
