import Foundation
import Testing
import Tensors
@testable import Networks

@Suite struct SafetensorsCheckpointTests {
    /// A two-shard checkpoint: `a.weight` [2, 3] and `a.bias` [3] (F32) in shard 1, `b.weight` [2] (BF16)
    /// and `ids` [2] (I64) in shard 2, with the index `transformers` writes.
    func shardedCheckpoint(weightMap: String? = nil, skipShard2: Bool = false) throws -> URL {
        let directory = try temporaryDirectory("sharded")
        let first = SafetensorsArchive(tensors: [
            "a.weight": try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]),
            "a.bias": Tensor([0.5, -0.5, 0.25]),
        ])
        try first.write(to: directory.appendingPathComponent("model-00001-of-00002.safetensors"))
        // BF16 1.5 = 0x3FC0, -2 = 0xC000; I64 7 and -1.
        let second = safetensorsBytes(
            header: #"{"b.weight":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},"ids":{"dtype":"I64","shape":[2],"data_offsets":[4,20]}}"#,
            data: [0xC0, 0x3F, 0x00, 0xC0] + [7, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8))
        if !skipShard2 { try second.write(to: directory.appendingPathComponent("model-00002-of-00002.safetensors")) }
        let map = weightMap ?? #"""
            {"a.bias": "model-00001-of-00002.safetensors", "a.weight": "model-00001-of-00002.safetensors",
             "b.weight": "model-00002-of-00002.safetensors", "ids": "model-00002-of-00002.safetensors"}
            """#
        try Data(#"{"metadata": {"total_size": 56}, "weight_map": \#(map)}"#.utf8)
            .write(to: directory.appendingPathComponent(SafetensorsCheckpoint.indexFileName))
        return directory
    }

    @Test func shardedCheckpointReadsEveryTensorFromItsShard() throws {
        let directory = try shardedCheckpoint()
        let checkpoint = try SafetensorsCheckpoint(directory: directory)
        #expect(checkpoint.names == ["a.bias", "a.weight", "b.weight", "ids"])
        #expect(checkpoint.files.map(\.lastPathComponent) == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        #expect(try checkpoint.tensor("a.weight", shape: [2, 3]).scalars == [1, 2, 3, 4, 5, 6])
        #expect(try checkpoint.tensor("a.bias").scalars == [0.5, -0.5, 0.25])
        #expect(try checkpoint.tensor("b.weight").scalars == [1.5, -2])
        #expect(try checkpoint.integerTensor("ids") == .init(shape: [2], values: [7, -1]))
        #expect(checkpoint.dtype(of: "b.weight") == "BF16" && checkpoint.dtype(of: "a.bias") == "F32" && checkpoint.dtype(of: "x") == nil)
        #expect(checkpoint.shape(of: "a.weight") == [2, 3] && checkpoint.shape(of: "x") == nil)
        #expect(checkpoint.contains("ids") && !checkpoint.contains("x"))
        #expect(checkpoint.storedDTypes == ["F32": 9, "BF16": 2, "I64": 2])
        let index = directory.appendingPathComponent(SafetensorsCheckpoint.indexFileName).path
        #expect(throws: SafetensorsError.missingTensor(file: index, tensor: "lm_head.weight")) { try checkpoint.tensor("lm_head.weight") }
        let shard1 = directory.appendingPathComponent("model-00001-of-00002.safetensors").path
        let mismatch = try #require(throws: SafetensorsError.self) { try checkpoint.tensor("a.weight", shape: [3, 2]) }
        #expect(mismatch.description == "\(shard1): tensor 'a.weight' has shape [2, 3], expected [3, 2]")
        #expect(throws: SafetensorsError.unsupportedDType(file: directory.appendingPathComponent("model-00002-of-00002.safetensors").path,
                                                          tensor: "ids", dtype: "I64")) { try checkpoint.tensor("ids") }
    }

    @Test func singleFileDirectoryAndFile() throws {
        let directory = try temporaryDirectory("single")
        let url = directory.appendingPathComponent(SafetensorsCheckpoint.weightsFileName)
        try SafetensorsArchive(tensors: ["w": Tensor([3, 4])], metadata: ["format": "pt"]).write(to: url)
        for checkpoint in [try SafetensorsCheckpoint(directory: directory), try SafetensorsCheckpoint(file: url)] {
            #expect(checkpoint.names == ["w"])
            #expect(checkpoint.files == [url])
            #expect(checkpoint.metadata == ["format": "pt"])
            #expect(try checkpoint.tensor("w", shape: [2]).scalars == [3, 4])
            #expect(throws: SafetensorsError.missingTensor(file: url.path, tensor: "v")) { try checkpoint.tensor("v") }
        }
        let empty = try temporaryDirectory("empty")
        let error = try #require(throws: SafetensorsError.self) { try SafetensorsCheckpoint(directory: empty) }
        #expect(error.description == "\(empty.path): cannot be read: holds neither model.safetensors nor model.safetensors.index.json")
        #expect(throws: SafetensorsError.unreadable(file: empty.path + "/none", reason: "no such directory")) {
            try SafetensorsCheckpoint(directory: empty.appendingPathComponent("none"))
        }
        #expect(throws: SafetensorsError.unreadable(file: url.path, reason: "not a directory (a single file opens with SafetensorsCheckpoint(file:))")) {
            try SafetensorsCheckpoint(directory: url)
        }
    }

    /// The error opening a sharded checkpoint whose index has `weightMap`, checked to name the index.
    func indexError(weightMap: String? = nil, rawIndex: String? = nil, skipShard2: Bool = false) throws -> String {
        let directory = try shardedCheckpoint(weightMap: weightMap, skipShard2: skipShard2)
        let index = directory.appendingPathComponent(SafetensorsCheckpoint.indexFileName)
        if let rawIndex { try Data(rawIndex.utf8).write(to: index) }
        let error = try #require(throws: SafetensorsError.self) { try SafetensorsCheckpoint(directory: directory) }
        #expect(error.description.hasPrefix(index.path + ": invalid sharded checkpoint index: "), "\(error.description)")
        return error.description.replacingOccurrences(of: directory.path + "/", with: "")
    }

    @Test func indexNamingAMissingShard() throws {
        let message = try indexError(skipShard2: true)
        #expect(message.hasSuffix("weight_map puts tensor 'b.weight' in shard 'model-00002-of-00002.safetensors', which does not exist "
            + "(model-00002-of-00002.safetensors)"))
    }

    @Test func shardLackingATensorTheIndexPutsInIt() throws {
        let map = #"{"a.bias": "model-00001-of-00002.safetensors", "a.weight": "model-00001-of-00002.safetensors", "#
            + #""b.weight": "model-00001-of-00002.safetensors", "ids": "model-00002-of-00002.safetensors"}"#
        #expect(try indexError(weightMap: map).hasSuffix(
            "weight_map puts tensor 'b.weight' in shard 'model-00001-of-00002.safetensors', but model-00001-of-00002.safetensors lacks it "
                + "(it is in model-00002-of-00002.safetensors)"))
        let ghost = #"{"a.bias": "model-00001-of-00002.safetensors", "ghost": "model-00002-of-00002.safetensors"}"#
        #expect(try indexError(weightMap: ghost).hasSuffix(
            "weight_map puts tensor 'ghost' in shard 'model-00002-of-00002.safetensors', but model-00002-of-00002.safetensors lacks it"))
    }

    @Test func tensorInTwoShards() throws {
        let directory = try shardedCheckpoint()
        try SafetensorsArchive(tensors: ["a.bias": Tensor([1])])
            .write(to: directory.appendingPathComponent("model-00002-of-00002.safetensors"))
        let index = directory.appendingPathComponent(SafetensorsCheckpoint.indexFileName).path
        let map = #"{"a.bias": "model-00001-of-00002.safetensors", "a.weight": "model-00001-of-00002.safetensors", "#
            + #""x": "model-00002-of-00002.safetensors"}"#
        try Data(#"{"weight_map": \#(map)}"#.utf8).write(to: URL(fileURLWithPath: index))
        let error = try #require(throws: SafetensorsError.self) { try SafetensorsCheckpoint(directory: directory) }
        #expect(error.description == "\(index): invalid sharded checkpoint index: tensor 'a.bias' is in two shards: "
            + "\(directory.path)/model-00001-of-00002.safetensors and \(directory.path)/model-00002-of-00002.safetensors")
    }

    @Test func malformedIndexFiles() throws {
        #expect(try indexError(rawIndex: "{\"weight_map\": {").contains("not valid JSON: expected a string key at byte 16"))
        #expect(try indexError(rawIndex: "[]").hasSuffix("not a JSON object"))
        #expect(try indexError(rawIndex: #"{"metadata": {}}"#).hasSuffix(#"needs a "weight_map" object (tensor name -> shard file name)"#))
        #expect(try indexError(rawIndex: #"{"weight_map": {}, "weight_map": {}}"#).hasSuffix("weight_map appears twice"))
        #expect(try indexError(weightMap: #"{"a.bias": 3}"#).hasSuffix("weight_map['a.bias'] is 3, not a shard file name"))
        #expect(try indexError(weightMap: #"{"a.bias": "../model-00001-of-00002.safetensors"}"#)
            .hasSuffix("weight_map['a.bias'] is '../model-00001-of-00002.safetensors', not a file name in the same directory"))
        #expect(try indexError(weightMap: #"{"a.bias": "model-00001-of-00002.safetensors", "a.bias": "model-00001-of-00002.safetensors"}"#)
            .hasSuffix("weight_map lists tensor 'a.bias' twice"))
    }

    @Test func aMalformedShardIsNamed() throws {
        let directory = try shardedCheckpoint()
        let shard = directory.appendingPathComponent("model-00002-of-00002.safetensors")
        try Data([1, 2, 3]).write(to: shard)
        #expect(throws: SafetensorsError.truncated(file: shard.path, reason: "3 bytes, fewer than the 8-byte header length")) {
            try SafetensorsCheckpoint(directory: directory)
        }
    }

    @Test func tensorsAreReadFromTheMappingAfterTheCheckpointOutlivesItsCaller() throws {
        // The mapping stays valid for the checkpoint's lifetime: reading after the files are deleted
        // still gives the data (the kernel keeps the pages of a mapped, unlinked file).
        let directory = try shardedCheckpoint()
        let checkpoint = try SafetensorsCheckpoint(directory: directory)
        try FileManager.default.removeItem(at: directory)
        #expect(try checkpoint.tensor("a.weight").scalars == [1, 2, 3, 4, 5, 6])
        #expect(try checkpoint.tensor("b.weight").scalars == [1.5, -2])
    }

    @Test func aFileWrittenByTheReferenceLibraryReadsExactly() throws {
        // scripts/make_safetensors_fixture.py: written by Python safetensors 0.8.0.
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/safetensors/python-written.safetensors")
        let checkpoint = try SafetensorsCheckpoint(file: url)
        #expect(checkpoint.names == ["bf16", "empty", "f16", "f32", "ids", "mask"])
        #expect(checkpoint.metadata == ["format": "pt", "writer": "safetensors 0.8.0"])
        #expect(try checkpoint.tensor("f32", shape: [2, 3]).scalars == (0..<6).map { 0.5 * Float($0) - 1 })
        #expect(try checkpoint.tensor("f16").scalars == [1.5, -2, 65504])
        #expect(try checkpoint.tensor("bf16", shape: [2, 2]).scalars == [1, -2, 0.5, 3.140625])
        #expect(try checkpoint.tensor("empty").shape == [0, 2])
        #expect(try checkpoint.integerTensor("ids").values == [0, -7, 1 << 40])
        #expect(checkpoint.dtype(of: "mask") == "U8" && checkpoint.shape(of: "mask") == [2])
        #expect(throws: SafetensorsError.unsupportedDType(file: url.path, tensor: "mask", dtype: "U8")) { try checkpoint.tensor("mask") }
        #expect(checkpoint.storedDTypes == ["F32": 6, "F16": 3, "BF16": 4, "I64": 3, "U8": 2])
        // The archive refuses the U8 tensor it cannot hold, naming it.
        #expect(throws: SafetensorsError.unsupportedDType(file: url.path, tensor: "mask", dtype: "U8")) { try SafetensorsArchive(contentsOf: url) }
    }

    @Test func releasedPagesReadBackTheSameBytes() throws {
        // After a tensor is converted its pages are released from the resident set; reading again
        // maps them back from the file: the same values every time.
        let directory = try temporaryDirectory("release")
        let url = directory.appendingPathComponent("model.safetensors")
        let big = Tensor.normal(shape: [3, 5000], seed: 3)
        try SafetensorsArchive(tensors: ["big": big, "small": Tensor([1, 2])]).write(to: url)
        let checkpoint = try SafetensorsCheckpoint(directory: directory)
        for _ in 0..<3 {
            #expect(try checkpoint.tensor("big").scalars == big.scalars)
            #expect(try checkpoint.tensor("small").scalars == [1, 2])
        }
        let file = try MappedFile(url: url)
        let before = Array(file.bytes)
        file.release(0..<file.count)
        file.release(100..<101)
        file.release(-5..<(file.count + 4096))
        #expect(Array(file.bytes) == before)
    }

    @Test func theTransformerFixturesOpenAndConvert() throws {
        // The model fixtures `transformers` wrote (Tests/Fixtures/models): single files, the two-shard
        // checkpoint and its index, BF16 weights; every tensor converts and the reference files parse.
        let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models")
        let names = try FileManager.default.contentsOfDirectory(atPath: models.path).sorted().filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: models.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }
        #expect(Set(["gpt2", "llama-bf16", "llama-gqa", "llama-sharded", "qwen2-bias"]).isSubset(of: names))
        for name in names {
            let directory = models.appendingPathComponent(name)
            let checkpoint = try SafetensorsCheckpoint(directory: directory)
            #expect(!checkpoint.names.isEmpty)
            for tensor in checkpoint.names {
                #expect(try checkpoint.tensor(tensor).shape == checkpoint.shape(of: tensor))
            }
            let reference = try SafetensorsArchive(contentsOf: directory.appendingPathComponent("reference.safetensors"))
            #expect(reference.tensors["logits"] != nil && reference.integerTensors["input_ids"] != nil)
        }
        let sharded = try SafetensorsCheckpoint(directory: models.appendingPathComponent("llama-sharded"))
        #expect(sharded.files.map(\.lastPathComponent) == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        // The index's own totals: 132,912 parameters, 531,648 bytes of F32.
        #expect(sharded.storedDTypes == ["F32": 132_912])
        #expect(sharded.contains("lm_head.weight") && sharded.contains("model.embed_tokens.weight"))
        let bf16 = try SafetensorsCheckpoint(directory: models.appendingPathComponent("llama-bf16"))
        #expect(Set(bf16.storedDTypes.keys) == ["BF16"])
    }
}
