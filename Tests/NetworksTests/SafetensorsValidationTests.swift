import Foundation
import Testing
import Tensors
@testable import Networks

/// The bytes of a safetensors file: the 8-byte little-endian length of `header`, `header`, `data`.
/// `declaredLength` overrides the length field.
func safetensorsBytes(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    var bytes = withUnsafeBytes(of: (declaredLength ?? UInt64(header.utf8.count)).littleEndian) { Array($0) }
    bytes += Array(header.utf8) + data
    return Data(bytes)
}

/// A fresh temporary directory for one test.
func temporaryDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("interchange-tests-\(UUID().uuidString)-\(name)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Each class of malformed file, with the message it must give: every message starts with the file
/// and names the tensor at fault.
@Suite struct SafetensorsValidationTests {
    let origin = "weights/bad.safetensors"

    /// The error `bytes` give, checked to start with the file name and to contain each of `fragments`.
    func rejection(_ bytes: Data, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws {
        let error = try #require(throws: SafetensorsError.self, sourceLocation: sourceLocation) {
            try SafetensorsArchive(data: bytes, origin: origin)
        }
        #expect(error.description.hasPrefix("\(origin): "), "\(error.description)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.description.contains(fragment), "'\(error.description)' should contain '\(fragment)'", sourceLocation: sourceLocation)
        }
    }

    func entry(_ name: String, _ dtype: String = "F32", shape: String, offsets: String) -> String {
        #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
    }

    @Test func headerLengthPastTheEndOrAbsurdIsTruncation() throws {
        let header = "{" + entry("w", shape: "[1]", offsets: "[0,4]") + "}"
        let data: [UInt8] = [0, 0, 0x80, 0x3F]
        #expect(try SafetensorsArchive(data: safetensorsBytes(header: header, data: data)).tensors["w"]?.scalars == [1])
        try rejection(Data([1, 2, 3, 4, 5, 6, 7]), "truncated", "7 bytes, fewer than the 8-byte header length")
        try rejection(safetensorsBytes(header: header, data: data, declaredLength: UInt64(header.utf8.count + 5)),
                      "truncated", "header length \(header.utf8.count + 5) exceeds the \(header.utf8.count + 4) bytes after it")
        try rejection(safetensorsBytes(header: header, data: data, declaredLength: .max), "header length 18446744073709551615 exceeds")
        try rejection(safetensorsBytes(header: header, data: data, declaredLength: UInt64(Int.max)), "header length \(Int.max) exceeds")
        try rejection(safetensorsBytes(header: header, data: data, declaredLength: 0), "not a JSON object")
    }

    @Test func headerOverTheSizeLimitIsRejectedWithoutReadingIt() throws {
        // A sparse 120 MB file (no disk or memory used) whose header length claims 110 MB.
        let directory = try temporaryDirectory("limit")
        let url = directory.appendingPathComponent("huge-header.safetensors")
        #expect(FileManager.default.createFile(atPath: url.path, contents: safetensorsBytes(header: "", declaredLength: 110_000_000)))
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 120_000_000)
        try handle.close()
        let error = try #require(throws: SafetensorsError.self) { try SafetensorsCheckpoint(file: url) }
        #expect(error.description == "\(url.path): invalid safetensors header: header length 110000000 is over the 100000000-byte limit")
    }

    @Test func headerThatIsNotAUTF8JSONObject() throws {
        try rejection(safetensorsBytes(header: "[1]"), "invalid safetensors header", "not a JSON object")
        try rejection(safetensorsBytes(header: " {}"), "not a JSON object (it must start with '{')")
        try rejection(safetensorsBytes(header: "{not json"), "not valid JSON", "expected a string key at byte 1")
        try rejection(safetensorsBytes(header: "{} x"), "not valid JSON", "unexpected text after the JSON value at byte 3")
        try rejection(safetensorsBytes(header: #"{"a":1,}"#), "not valid JSON")
        try rejection(safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[01],"data_offsets":[0,0]}}"#), "not valid JSON")
        // 0xFF never occurs in UTF-8.
        var invalid = Array(safetensorsBytes(header: #"{"wx":{}}"#))
        invalid[11] = 0xFF
        try rejection(Data(invalid), "not valid JSON", "string is not valid UTF-8 at byte 1")
        try rejection(safetensorsBytes(header: "{\"a\u{1}\":1}"), "control character in a string")
        try rejection(safetensorsBytes(header: #"{"\ud800":1}"#), "unpaired surrogate")
        // Trailing spaces pad the header (the format allows them) and escapes decode.
        let padded = "{" + entry(#"caf\u00e9\n\ud83d\ude00"#, shape: "[0]", offsets: "[0,0]") + "}    "
        let archive = try SafetensorsArchive(data: safetensorsBytes(header: padded))
        #expect(archive.tensors.keys.sorted() == ["café\n😀"])
    }

    @Test func nestingIsCappedBeforeItCanExhaustTheStack() throws {
        for depth in [65, 1_000, 100_000] {
            let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            try rejection(safetensorsBytes(header: #"{"w":"# + deep + "}"), "not valid JSON", "nesting deeper than 64 levels")
        }
        // Nesting within the limit parses and then fails as the wrong kind of entry, naming it.
        let shallow = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        try rejection(safetensorsBytes(header: #"{"w":"# + shallow + "}"), "tensor 'w': entry needs dtype")
    }

    @Test func entriesThatAreNotDtypeShapeAndOffsets() throws {
        let cases: [(String, String)] = [
            (#"{"w":[1]}"#, "not [1]"),
            (#"{"w":{"dtype":"F32","shape":[1]}}"#, "data_offsets is missing"),
            (#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, "dtype is missing"),
            (#"{"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#, "dtype is 32"),
            (#"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, "shape is [1.0]"),
            (#"{"w":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}"#, #"shape is ["1"]"#),
            (#"{"w":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}"#, "shape is 1"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}"#, "data_offsets is [0, 4, 4]"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4e0]}}"#, "data_offsets is [0, 4e0]"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999]}}"#, "data_offsets is [0, 99999999999999999999]"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}"#, "unexpected key 'extra'"),
            (#"{"w":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "'dtype' appears twice"),
        ]
        for (header, detail) in cases {
            try rejection(safetensorsBytes(header: header, data: [0, 0, 0, 0]), "tensor 'w': entry needs dtype (string), shape (integers)", detail)
        }
    }

    @Test func unknownDtypeIsNamed() throws {
        try rejection(safetensorsBytes(header: "{" + entry("w", "C64", shape: "[1]", offsets: "[0,8]") + "}", data: Array(repeating: 0, count: 8)),
                      "tensor 'w' has dtype C64", "C64 is not a safetensors dtype")
        // A dtype the format defines but the archive cannot hold is named too (without the "not a dtype" note).
        let bytes = safetensorsBytes(header: "{" + entry("mask", "U8", shape: "[2]", offsets: "[0,2]") + "}", data: [1, 0])
        let error = try #require(throws: SafetensorsError.self) { try SafetensorsArchive(data: bytes, origin: origin) }
        #expect(error == .unsupportedDType(file: origin, tensor: "mask", dtype: "U8"))
        #expect(!error.description.contains("not a safetensors dtype"))
    }

    @Test func shapesWithNegativeOrOverflowingSizes() throws {
        try rejection(safetensorsBytes(header: "{" + entry("w", shape: "[2,-2]", offsets: "[0,0]") + "}"),
                      "tensor 'w': shape [2, -2] has a negative dimension")
        try rejection(safetensorsBytes(header: "{" + entry("w", shape: "[4294967296,4294967296]", offsets: "[0,0]") + "}"),
                      "tensor 'w': element count of shape [4294967296, 4294967296]: 4294967296 × 4294967296 overflows")
        try rejection(safetensorsBytes(header: "{" + entry("w", shape: "[2305843009213693952]", offsets: "[0,0]") + "}"),
                      "tensor 'w': bytes of shape [2305843009213693952] of F32: 2305843009213693952 × 4 overflows")
        // Large but representable: an ordinary size mismatch.
        try rejection(safetensorsBytes(header: "{" + entry("w", "BF16", shape: "[1099511627776]", offsets: "[0,0]") + "}"),
                      "tensor 'w': shape [1099511627776] of BF16 needs 2199023255552 bytes, data_offsets give 0")
    }

    @Test func offsetsOutOfRangeOrReversed() throws {
        let data = [UInt8](repeating: 0, count: 8)
        try rejection(safetensorsBytes(header: "{" + entry("w", shape: "[1]", offsets: "[4,0]") + "}", data: data),
                      "tensor 'w': data_offsets [4, 0] leave the 8 data bytes")
        try rejection(safetensorsBytes(header: "{" + entry("w", shape: "[1]", offsets: "[-4,0]") + "}", data: data),
                      "tensor 'w': data_offsets [-4, 0] leave the 8 data bytes")
        try rejection(safetensorsBytes(header: "{" + entry("w", shape: "[1]", offsets: "[8,12]") + "}", data: data),
                      "tensor 'w': data_offsets [8, 12] leave the 8 data bytes")
        try rejection(safetensorsBytes(header: "{" + entry("w", shape: "[1]", offsets: "[0,9223372036854775807]") + "}", data: data),
                      "tensor 'w': data_offsets [0, 9223372036854775807] leave the 8 data bytes")
    }

    @Test func byteCountNotMatchingTheShape() throws {
        try rejection(safetensorsBytes(header: "{" + entry("w", "F16", shape: "[3]", offsets: "[0,8]") + "}", data: Array(repeating: 0, count: 8)),
                      "tensor 'w': shape [3] of F16 needs 6 bytes, data_offsets give 8")
    }

    @Test func overlappingTensorsNameBoth() throws {
        let header = "{" + entry("a", shape: "[2]", offsets: "[0,8]") + "," + entry("b", shape: "[2]", offsets: "[4,12]") + "}"
        try rejection(safetensorsBytes(header: header, data: Array(repeating: 0, count: 12)),
                      "tensor 'b': data_offsets [4, 12] overlap tensor 'a' at [0, 8]")
        let same = "{" + entry("a", shape: "[1]", offsets: "[0,4]") + "," + entry("b", shape: "[1]", offsets: "[0,4]") + "}"
        try rejection(safetensorsBytes(header: same, data: Array(repeating: 0, count: 4)), "overlap tensor 'a'")
    }

    @Test func dataMustBeEntirelyIndexed() throws {
        let gap = "{" + entry("a", shape: "[1]", offsets: "[0,4]") + "," + entry("b", shape: "[1]", offsets: "[8,12]") + "}"
        try rejection(safetensorsBytes(header: gap, data: Array(repeating: 0, count: 12)),
                      "tensor 'b': data bytes 4..<8 before it belong to no tensor")
        let leading = "{" + entry("a", shape: "[1]", offsets: "[4,8]") + "}"
        try rejection(safetensorsBytes(header: leading, data: Array(repeating: 0, count: 8)), "tensor 'a': data bytes 0..<4 before it")
        let trailing = "{" + entry("a", shape: "[1]", offsets: "[0,4]") + "}"
        try rejection(safetensorsBytes(header: trailing, data: Array(repeating: 0, count: 7)),
                      "data bytes 4..<7 belong to no tensor", "3 trailing bytes")
        try rejection(safetensorsBytes(header: "{}", data: [0]), "data bytes 0..<1 belong to no tensor")
        // Zero-size tensors sit anywhere on the tiling, including between and after others.
        let zeros = "{" + entry("a", shape: "[1]", offsets: "[0,4]") + "," + entry("e", shape: "[0,3]", offsets: "[4,4]") + ","
            + entry("b", "F16", shape: "[2]", offsets: "[4,8]") + "," + entry("z", shape: "[0]", offsets: "[8,8]") + "}"
        let archive = try SafetensorsArchive(data: safetensorsBytes(header: zeros, data: Array(repeating: 0, count: 8)))
        #expect(archive.tensors["e"]?.shape == [0, 3])
        #expect(archive.tensors["b"]?.scalars == [0, 0])
    }

    @Test func repeatedNamesAndBadMetadata() throws {
        let twice = "{" + entry("w", shape: "[1]", offsets: "[0,4]") + "," + entry("w", shape: "[1]", offsets: "[4,8]") + "}"
        try rejection(safetensorsBytes(header: twice, data: Array(repeating: 0, count: 8)), "tensor 'w': the header lists this tensor twice")
        try rejection(safetensorsBytes(header: #"{"__metadata__":{"a":1}}"#), "__metadata__ must map strings to strings; 'a' is 1")
        try rejection(safetensorsBytes(header: #"{"__metadata__":["a"]}"#), "__metadata__ must map strings to strings")
        try rejection(safetensorsBytes(header: #"{"__metadata__":{"a":"1","a":"2"}}"#), "__metadata__ lists 'a' twice")
        try rejection(safetensorsBytes(header: #"{"__metadata__":{},"__metadata__":{}}"#), "__metadata__ appears twice")
    }

    @Test func theMappedFileReaderNamesTheFileForEachFailure() throws {
        let directory = try temporaryDirectory("mapped")
        let empty = directory.appendingPathComponent("empty.safetensors")
        #expect(FileManager.default.createFile(atPath: empty.path, contents: Data()))
        let mapped = try MappedFile(url: empty)
        #expect(mapped.count == 0 && mapped.bytes.isEmpty)
        #expect(throws: SafetensorsError.truncated(file: empty.path, reason: "0 bytes, fewer than the 8-byte header length")) {
            try SafetensorsArchive(contentsOf: empty)
        }
        #expect(throws: SafetensorsError.unreadable(file: directory.path, reason: "not a regular file")) {
            try SafetensorsCheckpoint(file: directory)
        }
        let missing = directory.appendingPathComponent("missing.safetensors")
        #expect(throws: SafetensorsError.unreadable(file: missing.path, reason: "No such file or directory")) {
            try SafetensorsCheckpoint(file: missing)
        }
    }

    @Test func halfAndBFloat16ConversionMatchesADirectDecodingOfEveryBitPattern() throws {
        // Every 16-bit pattern, as F16 and as BF16, decoded here in Float64 from sign, exponent and
        // mantissa (IEEE 754 binary16; bfloat16 = the top half of binary32).
        let patterns = (0...UInt16.max).map { $0 }
        var data = [UInt8]()
        for bits in patterns { data += [UInt8(bits & 0xFF), UInt8(bits >> 8)] }
        let size = 2 * patterns.count
        let header = "{" + entry("h", "F16", shape: "[\(patterns.count)]", offsets: "[0,\(size)]") + ","
            + entry("b", "BF16", shape: "[256,256]", offsets: "[\(size),\(2 * size)]") + "}"
        let archive = try SafetensorsArchive(data: safetensorsBytes(header: header, data: data + data))
        let half = try #require(archive.tensors["h"]).scalars
        let brain = try #require(archive.tensors["b"]).scalars
        func decode(_ bits: UInt16, exponentBits: Int, mantissaBits: Int) -> Double {
            let sign: Double = bits >> 15 == 1 ? -1 : 1
            let exponent = Int(bits >> UInt16(mantissaBits)) & ((1 << exponentBits) - 1)
            let mantissa = Double(Int(bits) & ((1 << mantissaBits) - 1))
            let bias = (1 << (exponentBits - 1)) - 1
            let scale = Double(1 << mantissaBits)
            if exponent == (1 << exponentBits) - 1 { return mantissa == 0 ? sign * .infinity : .nan }
            if exponent == 0 { return sign * mantissa / scale * pow(2, Double(1 - bias)) }
            return sign * (1 + mantissa / scale) * pow(2, Double(exponent - bias))
        }
        var mismatches = 0
        for (i, bits) in patterns.enumerated() {
            for (value, expected) in [(half[i], decode(bits, exponentBits: 5, mantissaBits: 10)),
                                      (brain[i], decode(bits, exponentBits: 8, mantissaBits: 7))] {
                let same = expected.isNaN ? value.isNaN : (Double(value) == expected && value.sign == expected.sign)
                if !same { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
        #expect(half[0x3C00] == 1 && half[0x7BFF] == 65504 && half[0x0001] == Float(pow(2.0, -24.0)))
        #expect(brain[0x3F80] == 1 && brain[0xC000] == -2)
    }
}
