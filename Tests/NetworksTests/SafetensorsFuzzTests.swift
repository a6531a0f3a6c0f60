import Foundation
import Randomness
import Testing
import Tensors
@testable import Networks

/// Mutated safetensors files: every one must either parse or throw `SafetensorsError` (any other
/// error, a trap or a crash fails the run). Seeded, so a failure reproduces.
@Suite struct SafetensorsFuzzTests {
    /// A valid file with every kind of entry the reader converts, metadata and a zero-size tensor.
    static let seedHeader = #"{"__metadata__":{"format":"pt","note":"fuzz"},"#
        + #""a.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"#
        + #""a.bias":{"dtype":"F16","shape":[3],"data_offsets":[24,30]},"#
        + #""b":{"dtype":"BF16","shape":[1,1],"data_offsets":[30,32]},"#
        + #""empty":{"dtype":"F32","shape":[0,4],"data_offsets":[32,32]},"#
        + #""ids":{"dtype":"I64","shape":[2],"data_offsets":[32,48]}}"#

    static var seedFile: [UInt8] {
        var data = [UInt8]()
        for i in 0..<48 { data.append(UInt8(truncatingIfNeeded: i &* 37 &+ 11)) }
        return Array(safetensorsBytes(header: seedHeader, data: data))
    }

    /// Parses `bytes`; returns whether they parsed. Records an issue for any error other than `SafetensorsError`.
    static func outcome(_ bytes: [UInt8], _ label: @autoclosure () -> String) -> Bool {
        do {
            let archive = try SafetensorsArchive(data: Data(bytes), origin: "fuzz.safetensors")
            // A file that parses holds tensors consistent with their shapes.
            for (name, tensor) in archive.tensors where tensor.scalars.count != tensor.shape.reduce(1, *) {
                Issue.record("\(label()): tensor \(name) has \(tensor.scalars.count) scalars for shape \(tensor.shape)")
            }
            return true
        } catch let error as SafetensorsError {
            if !error.description.hasPrefix("fuzz.safetensors: ") { Issue.record("\(label()): message without the file: \(error)") }
            return false
        } catch {
            Issue.record("\(label()): unexpected error \(error)")
            return false
        }
    }

    /// Replacements for a number in the header: huge, negative, fractional, exponent, limits.
    static let numberReplacements = [
        "0", "1", "-1", "-0", "7", "4294967296", "2305843009213693952", "4611686018427387904", "9223372036854775807",
        "9223372036854775808", "18446744073709551615", "99999999999999999999999999", "1.5", "1e30", "1E-7", "-9223372036854775808",
        "2.0", "1e400", "0.0", "48", "49", "47", "24", "-24",
    ]

    @Test func tenThousandMutatedFilesParseOrThrowSafetensorsError() throws {
        var random = SeededGenerator(seed: 20_261_123)
        let seed = Self.seedFile
        let headerLength = Self.seedHeader.utf8.count
        #expect(Self.outcome(seed, "seed"))
        var cases = 0
        var parsed = 0
        func run(_ bytes: [UInt8], _ label: @autoclosure () -> String) {
            cases += 1
            if Self.outcome(bytes, label()) { parsed += 1 }
        }

        // 1. Byte flips in the header (1 to 4 bytes set to random values).
        for trial in 0..<4_000 {
            var bytes = seed
            for _ in 0...random.nextInt(below: 4) { bytes[8 + random.nextInt(below: headerLength)] = UInt8(random.nextInt(below: 256)) }
            run(bytes, "byte flip \(trial)")
        }
        // 2. Random truncations, and byte flips anywhere (length field and data included).
        for length in 0..<seed.count { run(Array(seed.prefix(length)), "truncated to \(length)") }
        for trial in 0..<1_000 {
            var bytes = seed
            bytes[random.nextInt(below: bytes.count)] ^= UInt8(1 << random.nextInt(below: 8))
            run(Array(bytes.prefix(bytes.count - random.nextInt(below: 3))), "bit flip \(trial)")
        }
        // 3. The header-length field set to limits.
        let limits: [UInt64] = [0, 1, 7, 8, UInt64(headerLength - 1), UInt64(headerLength + 1), UInt64(seed.count - 8),
                                UInt64(seed.count - 7), UInt64(seed.count), UInt64(Int.max), UInt64(Int.max) + 1, .max, 100_000_001]
        for limit in limits {
            for cut in [0, 1, 17] {
                var bytes = withUnsafeBytes(of: limit.littleEndian) { Array($0) } + seed.dropFirst(8)
                bytes.removeLast(cut)
                run(bytes, "header length \(limit), \(cut) bytes cut")
            }
        }
        // 4. JSON edits: a number replaced by a huge, negative or fractional one; a token deleted or inserted.
        let headerText = Array(Self.seedHeader.utf8)
        let numberStarts = headerText.indices.filter { i in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(headerText[i]) && !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(headerText[i - 1])
        }
        let data = Array(seed.suffix(48))
        func file(_ header: [UInt8], data: [UInt8] = data) -> [UInt8] {
            Array(safetensorsBytes(header: String(decoding: header, as: UTF8.self), data: data))
        }
        for trial in 0..<3_000 {
            var header = headerText
            for _ in 0...random.nextInt(below: 2) {
                let start = random.element(of: numberStarts)
                guard start < header.count else { continue }
                var end = start
                while end < header.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(header[end]) { end += 1 }
                header.replaceSubrange(start..<end, with: Array(random.element(of: Self.numberReplacements).utf8))
            }
            run(file(header, data: Array(data.prefix(data.count - random.nextInt(below: 2) * random.nextInt(below: 9)))), "number edit \(trial)")
        }
        let tokens = ["{", "}", "[", "]", ",", ":", "\"", "\\", "-", "0", "e", " ", "\u{0}", "null", "\"__metadata__\":", "\\ud800", "é"]
        for trial in 0..<1_500 {
            var header = headerText
            let position = random.nextInt(below: header.count)
            switch random.nextInt(below: 3) {
            case 0: header.remove(at: position)
            case 1: header.insert(contentsOf: Array(random.element(of: tokens).utf8), at: position)
            default: header.replaceSubrange(position..<min(header.count, position + random.nextInt(below: 12)), with: [])
            }
            run(file(header), "token edit \(trial)")
        }
        // 5. Deep nesting in every position, up to well past any stack's depth if it were not capped.
        for depth in [1, 2, 63, 64, 65, 100, 1_000, 3_000, 10_000, 50_000] {
            for (open, close) in [("[", "]"), ("{\"k\":", "}")] {
                let deep = String(repeating: open, count: depth) + "0" + String(repeating: close, count: depth)
                for header in [deep, "{\"w\":\(deep)}", "{\"__metadata__\":\(deep)}",
                               #"{"w":{"dtype":"F32","shape":\#(deep),"data_offsets":[0,0]}}"#,
                               String(repeating: open, count: depth)] {
                    run(file(Array(header.utf8), data: []), "nesting \(depth)")
                }
            }
        }
        // 6. Shapes whose sizes overflow, with offsets that do and do not fit.
        for shape in ["[4294967296,4294967296]", "[2305843009213693952]", "[4611686018427387904,4]", "[9223372036854775807,2]",
                      "[3037000500,3037000500]", "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]", "[-1,-1]", "[]"] {
            for dtype in ["F32", "BF16", "U8", "F64"] {
                for offsets in ["[0,0]", "[0,8]", "[0,9223372036854775807]"] {
                    let header = #"{"w":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}}"#
                    run(file(Array(header.utf8), data: Array(repeating: 0, count: 8)), "shape \(shape) \(dtype) \(offsets)")
                }
            }
        }
        #expect(cases >= 10_000)
        // Both outcomes occur, so the mutations reach past the first check.
        #expect(parsed > 100 && cases - parsed > 5_000, "\(parsed) of \(cases) parsed")
    }

    @Test func mutatedFilesOnDiskThroughTheMappedCheckpoint() throws {
        // The memory-mapped path: files written to disk, opened as a checkpoint, every tensor read.
        var random = SeededGenerator(seed: 7)
        let directory = try temporaryDirectory("fuzz")
        let url = directory.appendingPathComponent("model.safetensors")
        var cases = 0
        for trial in 0..<300 {
            var bytes = Self.seedFile
            if trial % 3 == 0 {
                bytes = Array(bytes.prefix(random.nextInt(below: bytes.count + 1)))
            } else {
                for _ in 0...random.nextInt(below: 3) { bytes[random.nextInt(below: bytes.count)] = UInt8(random.nextInt(below: 256)) }
            }
            try Data(bytes).write(to: url)
            cases += 1
            do {
                let checkpoint = try SafetensorsCheckpoint(directory: directory)
                for name in checkpoint.names {
                    if ["F32", "F16", "BF16"].contains(checkpoint.dtype(of: name)) {
                        let tensor = try checkpoint.tensor(name)
                        #expect(tensor.shape == checkpoint.shape(of: name))
                    } else {
                        _ = try? checkpoint.integerTensor(name)
                    }
                }
            } catch is SafetensorsError {
            } catch {
                Issue.record("trial \(trial): unexpected error \(error)")
            }
        }
        #expect(cases == 300)
    }
}
