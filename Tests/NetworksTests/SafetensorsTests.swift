import Foundation
import Testing
import TestSupport
import Tensors
@testable import Networks

@Suite struct SafetensorsTests {
    /// Bytes of a safetensors file with the given header (JSON text) and data.
    func file(header: String, data: [UInt8]) -> Data {
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        bytes += Array(header.utf8) + data
        return Data(bytes)
    }

    func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("interchange-tests-\(UUID().uuidString)-\(name)")
    }

    @Test func roundTripKeepsEveryTensorBitForBit() throws {
        let archive = SafetensorsArchive(
            tensors: ["a": Tensor.normal(shape: [3, 4], seed: 1), "b.bias": Tensor([1.5, -2])],
            integerTensors: ["labels": .init(shape: [3], values: [0, 5, -7])],
            metadata: ["variables": "WX,YZ"])
        let url = temporaryURL("round.safetensors")
        try archive.write(to: url)
        let loaded = try SafetensorsArchive(contentsOf: url)
        #expect(loaded.tensors["a"]?.scalars == archive.tensors["a"]?.scalars)
        #expect(loaded.tensors["a"]?.shape == [3, 4])
        #expect(loaded.tensors["b.bias"]?.scalars == [1.5, -2])
        #expect(loaded.integerTensors["labels"] == .init(shape: [3], values: [0, 5, -7]))
        #expect(loaded.metadata == ["variables": "WX,YZ"])
        #expect(archive.serialized() == loaded.serialized())
        let headerLength = loaded.serialized().prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0)
    }

    @Test func halfPrecisionAndBFloat16AreReadAsFloat32() throws {
        // 1.5 is 0x3E00 in F16 and 0x3FC0 in BF16; -2 is 0xC000 in F16 and 0xC000 in BF16.
        let header = #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}"#
        let archive = try SafetensorsArchive(data: file(header: header, data: [0x00, 0x3E, 0x00, 0xC0, 0xC0, 0x3F, 0x00, 0xC0]))
        #expect(archive.tensors["h"]?.scalars == [1.5, -2])
        #expect(archive.tensors["b"]?.scalars == [1.5, -2])
    }

    @Test func corruptFilesGiveErrorsNamingTheFileAndTensor() throws {
        let cases: [(Data, String)] = [
            (Data([1, 2, 3]), "fewer than the 8-byte header length"),
            (file(header: "{}", data: []).prefix(9), "exceeds"),
            (file(header: "{not json", data: []), "not valid JSON"),
            (file(header: "[1]", data: []), "not a JSON object"),
            (file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0]), "tensor 'w': data_offsets [0, 8] leave the 4 data bytes"),
            (file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)), "tensor 'w': shape [3] of F32 needs 12 bytes"),
            (file(header: #"{"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)), "tensor 'w' has dtype C64"),
            (file(header: #"{"w":{"dtype":"F32","shape":[1]}}"#, data: []), "tensor 'w': entry needs dtype"),
            (file(header: #"{"__metadata__":{"a":1}}"#, data: []), "__metadata__ must map strings to strings"),
        ]
        for (bytes, expected) in cases {
            let error = try #require(throws: SafetensorsError.self) { try SafetensorsArchive(data: bytes, origin: "bad.safetensors") }
            #expect(error.description.hasPrefix("bad.safetensors: "))
            #expect(error.description.contains(expected), "\(error.description) should contain \(expected)")
        }
        let missing = try #require(throws: SafetensorsError.self) { try SafetensorsArchive(contentsOf: URL(fileURLWithPath: "/nonexistent/x.safetensors")) }
        #expect(missing.description.contains("/nonexistent/x.safetensors"))
    }

    @Test func writingIsAtomicAndReplacesTheOldFileWhole() throws {
        let url = temporaryURL("atomic.safetensors")
        try SafetensorsArchive(tensors: ["x": Tensor([1])]).write(to: url)
        try SafetensorsArchive(tensors: ["y": Tensor([2, 3])]).write(to: url)
        let loaded = try SafetensorsArchive(contentsOf: url)
        #expect(loaded.tensors.keys.sorted() == ["y"])
        let siblings = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        #expect(siblings.filter { $0.contains(url.lastPathComponent) && $0 != url.lastPathComponent }.isEmpty)
        let error = try #require(throws: SafetensorsError.self) {
            try SafetensorsArchive(tensors: ["x": Tensor([1])]).write(to: URL(fileURLWithPath: "/nonexistent-dir/x.safetensors"))
        }
        #expect(error.description.contains("/nonexistent-dir/x.safetensors"))
    }
}
