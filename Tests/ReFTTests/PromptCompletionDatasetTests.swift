import Foundation
import ReFT
import Tokenizers
import Testing
import Transformers

@Suite("ReFT prompt/completion data")
struct PromptCompletionDatasetTests {
    /// A character-level stand-in for a tokenizer: the prompt gets a BOS (1) first.
    static func encodePrompt(_ text: String) -> [Int] { [1] + encodeCompletion(text) }
    static func encodeCompletion(_ text: String) -> [Int] { text.unicodeScalars.map { 2 + Int($0.value % 20) } }

    static func dataset(_ text: String, template: String? = nil, endOfSequence: Int? = nil) throws -> PromptCompletionDataset {
        try PromptCompletionDataset(jsonLines: Data(text.utf8), origin: "train.jsonl", template: template, endOfSequence: endOfSequence,
                                    encodePrompt: encodePrompt, encodeCompletion: encodeCompletion)
    }

    static func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "(no error)"
        } catch {
            return "\(error)"
        }
    }

    @Test("a good file: examples with their lines; right-padded batches with labels only on completion tokens")
    func goodFile() throws {
        let text = """
            {"prompt": "ab", "completion": "xyz", "id": 7}

            {"completion": "q", "prompt": "hello"}\r
            {"prompt": "c", "completion": ""}
            """
        let data = try Self.dataset(text)
        #expect(data.examples.map(\.line) == [1, 3, 4])
        #expect(data.examples[0].prompt == Self.encodePrompt("ab"))
        #expect(data.examples[0].completion == Self.encodeCompletion("xyz"))
        #expect(data.examples[1].prompt == Self.encodePrompt("hello"), "CR of a CRLF line is not part of the JSON")
        #expect(data.examples[2].completion == [])

        let batches = try data.batches(size: 2)
        #expect(batches.count == 2)
        let first = batches[0]
        #expect(first.tokens.batch == 2 && first.tokens.length == 7)  // "hello": 6 prompt ids + 1 completion id
        #expect(first.tokens.leftPadding == [0, 0])
        #expect(first.promptLengths == [3, 6])
        #expect(first.lines == [1, 3])
        let ids = Array(first.tokens.row(0))
        #expect(ids == Self.encodePrompt("ab") + Self.encodeCompletion("xyz") + [0])
        #expect(first.labels[0] == [-100, -100, -100] + Self.encodeCompletion("xyz") + [-100])
        #expect(first.labels[1] == [-100, -100, -100, -100, -100, -100] + Self.encodeCompletion("q"))
        for (row, labels) in first.labels.enumerated() {
            let tokens = Array(first.tokens.row(row))
            for (position, label) in labels.enumerated() where label != -100 {
                #expect(position >= first.promptLengths[row], "a label on a prompt token")
                #expect(label == tokens[position])
            }
        }
        #expect(batches[1].labels == [[-100, -100]], "an empty completion contributes no label")
        #expect(try data.batches(size: 2, padToken: 9)[0].tokens.row(0).last == 9)
    }

    @Test("template and end-of-sequence")
    func template() throws {
        let data = try Self.dataset(#"{"prompt": "hi", "completion": "yo"}"#, template: "Q: {prompt}\nA:", endOfSequence: 50)
        #expect(data.examples[0].prompt == Self.encodePrompt("Q: hi\nA:"))
        #expect(data.examples[0].completion == Self.encodeCompletion("yo") + [50])
        let missing = Self.message { _ = try Self.dataset(#"{"prompt": "hi", "completion": "yo"}"#, template: "Q: A:") }
        #expect(missing.contains("train.jsonl") && missing.contains("{prompt}"), "\(missing)")
    }

    @Test("bad lines are errors naming the file and line", arguments: [
        ("{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"a\", \"completion\": }\n", 2, "not valid JSON"),
        ("{\"prompt\": \"a\", \"completion\": \"b\"}\n\n{\"prompt\": \"a\"}\n", 3, "\"completion\" is missing"),
        ("{\"completion\": \"b\"}\n", 1, "\"prompt\" is missing"),
        ("{\"prompt\": 3, \"completion\": \"b\"}\n", 1, "\"prompt\" must be a string"),
        ("[\"a\", \"b\"]\n", 1, "expected a JSON object"),
        ("{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"a\", \"completion\": \"b\"} x\n", 2, "not valid JSON"),
        ("{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"\", \"completion\": \"b\"}\n", 2, "no token"),
    ])
    func badLines(text: String, line: Int, words: String) {
        let message = Self.message {
            _ = try PromptCompletionDataset(jsonLines: Data(text.utf8), origin: "train.jsonl",
                                            encodePrompt: Self.encodeCompletion, encodeCompletion: Self.encodeCompletion)
        }
        #expect(message.hasPrefix("train.jsonl:\(line): "), "\(message)")
        #expect(message.contains(words), "\(message)")
    }

    @Test("an empty file, a blank one, and one whose every completion is empty are refused")
    func unusable() {
        for text in ["", "\n\n  \n"] {
            let message = Self.message { _ = try Self.dataset(text) }
            #expect(message.contains("train.jsonl") && message.contains("no example"), "\(message)")
        }
        let empty = Self.message { _ = try Self.dataset("{\"prompt\": \"a\", \"completion\": \"\"}\n{\"prompt\": \"b\", \"completion\": \"\"}") }
        #expect(empty.contains("train.jsonl") && empty.contains("every completion is empty"), "\(empty)")
        let missingFile = Self.message {
            _ = try PromptCompletionDataset(contentsOf: URL(fileURLWithPath: "/nonexistent/train.jsonl"),
                                            tokenizer: try Self.tokenizer())
        }
        #expect(missingFile.contains("/nonexistent/train.jsonl") && missingFile.contains("cannot read"), "\(missingFile)")
    }

    @Test("seeded shuffling: the same seed gives the same order, every example once")
    func shuffling() throws {
        let text = (0..<20).map { #"{"prompt": "p\#($0)", "completion": "c"}"# }.joined(separator: "\n")
        let data = try Self.dataset(text)
        let lines = { (seed: UInt64?) in try data.batches(size: 3, shuffleSeed: seed).flatMap(\.lines) }
        #expect(try lines(nil) == Array(1...20))
        #expect(try lines(5) == lines(5))
        #expect(try lines(5) != lines(6))
        #expect(try lines(5).sorted() == Array(1...20))
        #expect(try data.batches(size: 3).map(\.tokens.batch) == [3, 3, 3, 3, 3, 3, 2])
        #expect(throws: ReFTError.self) { try data.batches(size: 0) }
    }

    static func tokenizer() throws -> Tokenizer {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tokenizers/gpt2-small.json")
        return try Tokenizer(contentsOf: url)
    }

    @Test("with a real tokenizer: the prompt is encoded with its special ids, the completion alone")
    func realTokenizer() throws {
        let tokenizer = try Self.tokenizer()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reft-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("train.jsonl")
        try Data(#"{"prompt": "The cat", "completion": " sat on the mat."}"#.utf8).write(to: url)
        let data = try PromptCompletionDataset(contentsOf: url, tokenizer: tokenizer, template: "Say: {prompt}")
        #expect(data.origin == url.path)
        #expect(data.examples[0].prompt == tokenizer.encode("Say: The cat", addSpecialTokens: true))
        #expect(data.examples[0].completion == tokenizer.encode(" sat on the mat.", addSpecialTokens: false))
        #expect(!data.examples[0].completion.isEmpty)
        try Data("{\"prompt\": \"a\"}\n".utf8).write(to: url)
        let message = Self.message { _ = try PromptCompletionDataset(contentsOf: url, tokenizer: tokenizer) }
        #expect(message.hasPrefix("\(url.path):1: "), "\(message)")
    }
}
