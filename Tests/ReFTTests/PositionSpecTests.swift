import ReFT
import Testing

@Suite("ReFT positions grammar and layers")
struct PositionSpecTests {
    @Test("accepted texts parse to their counts and print back")
    func accepted() throws {
        let cases: [(String, Int, Int)] = [("f1", 1, 0), ("l1", 0, 1), ("f3+l2", 3, 2), ("f12+l7", 12, 7), ("l250", 0, 250), ("f1+l1", 1, 1)]
        for (text, first, last) in cases {
            let spec = try PositionSpec(parsing: text)
            #expect(spec.first == first && spec.last == last, "\(text)")
            #expect(spec.description == text)
        }
    }

    @Test("refused texts name the text and the grammar", arguments: [
        "", "f", "l", "f0", "l0", "f0+l1", "f1+l0", "x3", "f-1", "f1+", "+l1", "l1+f1", "f1+l1+l2", "f 2", "F2", "f2+f3", "f1.5",
        "f٣", "f99999999999", "f1+l1 ",
    ])
    func refused(text: String) {
        do {
            _ = try PositionSpec(parsing: text)
            Issue.record("'\(text)' was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains("'\(text)'"), "\(message)")
            #expect(message.contains("f<n>, l<n> or f<n>+l<m>"), "\(message)")
        }
    }

    /// Checks the rule for one spec and prompt length at one offset: within the prompt, disjoint,
    /// suffix = last min(m, p), prefix = first min(n, p − suffix).
    func check(_ spec: PositionSpec, promptLength p: Int, offset: Int) throws {
        let (prefix, suffix) = try spec.positions(promptLength: p, offset: offset)
        let prompt = offset..<(offset + p)
        #expect((prefix + suffix).allSatisfy(prompt.contains), "\(spec) p=\(p) offset=\(offset): \(prefix) \(suffix)")
        #expect(Set(prefix + suffix).count == prefix.count + suffix.count, "a position twice: \(prefix) \(suffix)")
        #expect(suffix == Array((offset + p - min(spec.last, p))..<(offset + p)))
        #expect(prefix == Array(offset..<(offset + min(spec.first, p - suffix.count))))
        #expect(prefix.count + suffix.count == min(p, spec.first + spec.last), "as many tokens as the prompt allows")
    }

    @Test("short prompts are clamped: never outside the prompt, never a token twice, suffix first")
    func clamping() throws {
        for text in ["f2+l3", "f1+l1", "f3", "l4", "f5+l1"] {
            let spec = try PositionSpec(parsing: text)
            let n = spec.first, m = spec.last
            for p in Set([1, 2, n + m - 1, n + m, n + m + 3].filter { $0 >= 1 }) {
                for offset in [0, 3] { try check(spec, promptLength: p, offset: offset) }
            }
        }
        let spec = try PositionSpec(parsing: "f2+l3")
        #expect(try spec.positions(promptLength: 1, offset: 0) == ([], [0]))
        #expect(try spec.positions(promptLength: 2, offset: 5) == ([], [5, 6]))
        #expect(try spec.positions(promptLength: 4, offset: 0) == ([0], [1, 2, 3]))
        #expect(try spec.positions(promptLength: 5, offset: 1) == ([1, 2], [3, 4, 5]))
        #expect(try spec.positions(promptLength: 9, offset: 0) == ([0, 1], [6, 7, 8]))
        #expect(try spec.positions(promptLength: 0, offset: 2) == ([], []))
        #expect(throws: ReFTError.self) { try spec.positions(promptLength: -1, offset: 0) }
    }

    @Test("layers: all, lists, and refusals naming the text and the valid range")
    func layers() throws {
        #expect(try LayerSpec(parsing: "all").resolve(layerCount: 4) == [0, 1, 2, 3])
        #expect(try LayerSpec(parsing: "2,0, 3").resolve(layerCount: 4) == [0, 2, 3])
        #expect(try LayerSpec(parsing: "1").resolve(layerCount: 2) == [1])
        #expect(LayerSpec.list([2, 4, 6]).description == "2,4,6")
        for bad in ["", "1,,2", "a", "-1", "1,1", "1.5", "all,1"] {
            #expect(throws: ReFTError.self, "\(bad)") { try LayerSpec(parsing: bad) }
        }
        do {
            _ = try LayerSpec(parsing: "0,4").resolve(layerCount: 4)
            Issue.record("layer 4 of 4 accepted")
        } catch {
            #expect("\(error)".contains("layer 4 is outside the model's layers 0...3"), "\(error)")
            #expect("\(error)".contains("'0,4'"))
        }
        #expect(throws: ReFTError.self) { try LayerSpec.list([]).resolve(layerCount: 3) }
    }
}
