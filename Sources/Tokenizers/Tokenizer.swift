import Foundation
import JSONParsing

/// A byte-level BPE tokenizer read from a Hugging Face `tokenizer.json` (GPT-2, Llama-3 and Qwen2 families),
/// giving the same ids as the `tokenizers` library.
///
/// Encoding: added tokens are found first in the raw text (longest match), each remaining piece is
/// normalized (NFC when the file says), its normalized added tokens are found, it is pre-tokenized (the file's
/// split pattern, then ByteLevel), and each word's UTF-8 bytes are merged by BPE rank (with a word cache).
/// Anything in the file this type does not implement (another model, normalizer, pattern, post-processor or
/// decoder, dropout, truncation, padding) is refused by name when reading, never half-applied.
///
/// Thread-safe: the word cache and scratch buffers are guarded by a lock.
public final class Tokenizer: CustomStringConvertible, @unchecked Sendable {
    /// Where the file came from (its path, or the name passed to `init(data:origin:)`), used in errors.
    public let origin: String
    /// The tokens the file adds outside the BPE model (special tokens and others), in file order.
    public let addedTokens: [AddedToken]
    /// One more than the largest id of the model vocabulary and the added tokens.
    public let vocabularySize: Int
    /// The ids `encode(_:addSpecialTokens: true)` puts before the text (from TemplateProcessing; often a BOS).
    public var prefixTokenIDs: [Int] { postProcessor.prefix }
    /// The ids `encode(_:addSpecialTokens: true)` puts after the text.
    public var suffixTokenIDs: [Int] { postProcessor.suffix }
    /// The beginning-of-sequence id when the post-processor's template starts with exactly one special token.
    public var beginningOfSequenceID: Int? { postProcessor.prefix.count == 1 ? postProcessor.prefix[0] : nil }
    /// Number of merges in the model.
    public var mergeCount: Int { model.mergeCount }

    let model: BytePairModel
    private let normalizers: [Normalizer]
    private let preTokenizer: [PreTokenizerStep]
    private let postProcessor: PostProcessor
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    private let addedByID: [Int: AddedToken]
    /// The text `decode` and `token(forID:)` give for an added token: its content, normalized when the token is
    /// (as `tokenizers` stores it).
    private let addedTextByID: [Int: String]
    private let addedByContent: [ExactString: AddedToken]
    /// Some ByteLevel step puts a space before pieces (`add_prefix_space`), so pieces are rewritten.
    private let addsPrefixSpace: Bool
    private let lock = NSLock()
    private var state = EncodingState()

    /// Reads a tokenizer.json file.
    public convenience init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data, origin: url.path)
    }

    /// Reads tokenizer.json content; `origin` names it in errors.
    public init(data: Data, origin: String) throws {
        self.origin = origin
        let root = JSONField(value: try JSONParser.parseTokenizerFile([UInt8](data), origin: origin), path: "", origin: origin)
        guard case .object = root.value else { throw root.invalid("expected the top level to be an object, found \(root.value.typeName)") }
        for name in ["truncation", "padding"] {
            if let field = try root.optional(name), !field.isNull {
                throw field.unsupported("\(name) (only null is implemented: encode returns every id)")
            }
        }
        // Ids must stay dense enough that the id → token table is small: no id beyond 4x the entries (+1024).
        let modelField = try root.required("model")
        let addedField = try root.optional("added_tokens")
        let addedEntries = try addedField.map { $0.isNull ? [] : try $0.elements() } ?? []
        let vocabularyEntries = (try? modelField.required("vocab").members().count) ?? 0
        let maximumID = min(Int(Int32.max) - 1, 4 * (vocabularyEntries + addedEntries.count) + 1024)
        model = try BytePairModel(modelField, maximumID: maximumID)
        normalizers = try Normalizer.read(try root.optional("normalizer"))
        preTokenizer = try PreTokenizerStep.read(in: root)
        addsPrefixSpace = preTokenizer.contains { if case .byteLevel(true, _) = $0 { return true } else { return false } }
        postProcessor = try PostProcessor.read(try root.optional("post_processor"))
        try DecoderCheck.read(in: root)

        var added: [AddedToken] = []
        var byID: [Int: AddedToken] = [:]
        var byContent: [ExactString: AddedToken] = [:]
        for entry in addedEntries {
            let token = try AddedToken(entry, maximumID: maximumID)
            if let other = byID[token.id], other.content != token.content {
                throw try entry.required("id").invalid("id \(token.id) is given to both \"\(other.content)\" and \"\(token.content)\"")
            }
            byID[token.id] = token
            byContent[ExactString(token.content)] = token
            added.append(token)
        }
        addedTokens = added
        addedByID = byID
        addedByContent = byContent
        vocabularySize = max(model.tokens.count, (byID.keys.max() ?? -1) + 1)
        for id in postProcessor.prefix + postProcessor.suffix where id >= vocabularySize {
            throw TokenizerError.invalidField(origin: origin, field: "post_processor",
                                              reason: "template id \(id) is outside the vocabulary of \(vocabularySize)")
        }
        // Raw-text tokens are matched as written; normalized ones by their normalized content.
        let normalizers = self.normalizers
        func normalize(_ text: String) -> String {
            var bytes = Array(text.utf8)
            for n in normalizers {
                if let out = bytes.withUnsafeBufferPointer({ n.apply($0) }) { bytes = out }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        rawMatcher = AddedTokenMatcher(added.filter { !$0.normalized }.map { ($0, $0.content) })
        normalizedMatcher = AddedTokenMatcher(added.filter { $0.normalized }.map { ($0, normalize($0.content)) })
        addedTextByID = byID.mapValues { $0.normalized ? normalize($0.content) : $0.content }
    }

    /// What was read, in one line per component.
    public var description: String {
        let specials = addedTokens.filter(\.special).map(\.content)
        return """
        byte-level BPE tokenizer from \(origin)
          model: BPE, \(model.ids.count) tokens, \(model.mergeCount) merges, ignore_merges \(model.ignoreMerges)
          added tokens: \(addedTokens.count) (special: \(specials.joined(separator: " ")))
          normalizer: \(normalizers.isEmpty ? "none" : normalizers.map { _ in "NFC" }.joined(separator: ", "))
          pre-tokenizer: \(preTokenizer.map(\.summary).joined(separator: ", "))
          post-processor: \(postProcessor.steps.isEmpty ? "none" : postProcessor.steps.joined(separator: ", "))
          decoder: ByteLevel
          vocabulary size: \(vocabularySize)
        """
    }

    /// The id of a token (added tokens first, then the model vocabulary, in the byte-level spelling like `Ġthe`).
    public func id(forToken token: String) -> Int? {
        if let added = addedByContent[ExactString(token)] { return added.id }
        return model.ids[ExactString(token)]
    }

    /// The token of an id (an added token's content, normalized if the token is, or the model's byte-level
    /// spelling), nil if none.
    public func token(forID id: Int) -> String? {
        if let text = addedTextByID[id] { return text }
        guard id >= 0, id < model.tokens.count else { return nil }
        return model.tokens[id]
    }

    /// Forgets the word cache (for timing encodes from cold, or to free its memory).
    public func clearCache() {
        lock.withLock { state = EncodingState() }
    }

    /// The ids of `text`; with `addSpecialTokens`, wrapped in the post-processor's template (e.g. a BOS first).
    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int] {
        var output: [Int] = []
        output.reserveCapacity(text.utf8.count / 3 + 4)
        if addSpecialTokens { output += postProcessor.prefix }
        let bytes = Array(text.utf8)
        lock.withLock {
            bytes.withUnsafeBufferPointer { p in
                var pieces: [AddedTokenMatcher.Piece] = []
                rawMatcher.split(p, 0, p.count, into: &pieces)
                for piece in pieces {
                    switch piece {
                    case let .token(id): output.append(id)
                    case let .text(start, end): encodeSegment(p, start, end, into: &output)
                    }
                }
            }
        }
        if addSpecialTokens { output += postProcessor.suffix }
        return output
    }

    /// A segment between raw-text added tokens: normalize, find normalized added tokens, pre-tokenize, merge.
    private func encodeSegment(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into output: inout [Int]) {
        var normalized: [UInt8]? = nil
        for n in normalizers {
            if let current = normalized {
                if let out = current.withUnsafeBufferPointer({ n.apply($0) }) { normalized = out }
            } else if let out = n.apply(UnsafeBufferPointer(rebasing: p[start..<end])) {
                normalized = out
            }
        }
        if let normalized {
            normalized.withUnsafeBufferPointer { q in encodeNormalized(q, 0, q.count, into: &output) }
        } else {
            encodeNormalized(p, start, end, into: &output)
        }
    }

    private func encodeNormalized(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into output: inout [Int]) {
        if normalizedMatcher.isEmpty {
            preTokenizeAndMerge(p, start, end, into: &output)
            return
        }
        var pieces: [AddedTokenMatcher.Piece] = []
        normalizedMatcher.split(p, start, end, into: &pieces)
        for piece in pieces {
            switch piece {
            case let .token(id): output.append(id)
            case let .text(s, e): preTokenizeAndMerge(p, s, e, into: &output)
            }
        }
    }

    /// Runs the pre-tokenizer steps over `p[start..<end]` and merges each resulting word.
    private func preTokenizeAndMerge(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into output: inout [Int]) {
        preTokenize(p, start, end) { q, s, e in model.encodeWord(q, s, e, into: &output, state: &state) }
    }

    /// The words the pre-tokenizer makes of `text` (no added tokens, no normalization), spelled in the byte-level
    /// alphabet: what `tokenizers`' `pre_tokenizer.pre_tokenize_str` returns. For tests.
    func preTokenizedWords(_ text: String) -> [String] {
        var words: [String] = []
        Array(text.utf8).withUnsafeBufferPointer { p in
            lock.withLock {
                preTokenize(p, 0, p.count) { q, s, e in
                    words.append(ByteLevelAlphabet.spelling(of: UnsafeBufferPointer(rebasing: q[s..<e])))
                }
            }
        }
        return words
    }

    /// Calls `body(buffer, start, end)` for each word the pre-tokenizer steps make of `p[start..<end]`.
    @inline(__always)
    private func preTokenize(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
                             _ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> Void) {
        guard end > start else { return }
        // Common case without rewriting: the steps only split, so words are ranges of `p`.
        if !addsPrefixSpace {
            var ranges: [Int] = []
            swap(&ranges, &state.pieces)
            ranges.removeAll(keepingCapacity: true)
            ranges.append(start); ranges.append(end)
            for step in preTokenizer { applySplit(step, p, &ranges) }
            var k = 0
            while k < ranges.count {
                body(p, ranges[k], ranges[k + 1])
                k += 2
            }
            swap(&ranges, &state.pieces)
            return
        }
        // `add_prefix_space`: a piece not starting with a space is copied after one, into a buffer of its own.
        var buffer = Array(UnsafeBufferPointer(rebasing: p[start..<end]))
        var ranges = [0, buffer.count]
        for step in preTokenizer {
            if case .byteLevel(true, _) = step {
                var next: [Int] = []
                var k = 0
                while k < ranges.count {
                    let s = ranges[k], e = ranges[k + 1]
                    if buffer[s] == 0x20 {
                        next += [s, e]
                    } else {
                        let newStart = buffer.count
                        buffer.append(0x20)
                        buffer.append(contentsOf: buffer[s..<e])
                        next += [newStart, buffer.count]
                    }
                    k += 2
                }
                ranges = next
            }
            buffer.withUnsafeBufferPointer { q in applySplit(step, q, &ranges) }
        }
        buffer.withUnsafeBufferPointer { q in
            var k = 0
            while k < ranges.count {
                body(q, ranges[k], ranges[k + 1])
                k += 2
            }
        }
    }

    /// Replaces each range (pairs of offsets) by the matches of the step's pattern inside it.
    private func applySplit(_ step: PreTokenizerStep, _ p: UnsafeBufferPointer<UInt8>, _ ranges: inout [Int]) {
        let pattern: SplitPattern?
        switch step {
        case let .split(splitPattern): pattern = splitPattern
        case .byteLevel(_, true): pattern = .gpt2
        case .byteLevel(_, false): return
        case .digits: pattern = nil
        }
        var next: [Int] = []
        swap(&next, &state.nextPieces)
        next.removeAll(keepingCapacity: true)
        var k = 0
        while k < ranges.count {
            if let pattern {
                pattern.split(p, from: ranges[k], to: ranges[k + 1]) { s, e in
                    next.append(s); next.append(e)
                }
            } else if case let .digits(individually) = step {
                PreTokenizerStep.splitDigits(p, from: ranges[k], to: ranges[k + 1], individually: individually) { s, e in
                    next.append(s); next.append(e)
                }
            }
            k += 2
        }
        swap(&next, &ranges)
        swap(&next, &state.nextPieces)
    }

    /// The text of `ids`: each token's byte-level spelling turned back into bytes (an added token's own UTF-8
    /// when its text is not in the byte-level alphabet), then read as UTF-8 with each invalid sequence replaced by
    /// U+FFFD, as `tokenizers` does. With `skipSpecialTokens`, special added tokens are left out.
    /// Throws `TokenizerError.unknownID` for an id that names no token.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids {
            let text: String
            if let added = addedByID[id] {
                if skipSpecialTokens && added.special { continue }
                text = addedTextByID[id] ?? added.content
            } else if id >= 0, id < model.tokens.count, let token = model.tokens[id] {
                text = token
            } else {
                throw TokenizerError.unknownID(id: id, vocabularySize: vocabularySize)
            }
            if let raw = ByteLevelAlphabet.bytes(spelledBy: text) {
                bytes += raw
            } else {
                bytes += Array(text.utf8)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
