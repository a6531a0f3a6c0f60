import Foundation

/// The "BPE" model of a byte-level tokenizer: the vocabulary, the ranked merges, and the merging of one word.
///
/// Token strings are stored in the byte-level alphabet (`Ġ` for a space); internally every token that spells
/// raw bytes is keyed by those bytes, so words are looked up straight from the UTF-8 input.
struct BytePairModel {
    /// Token string of each id (nil where the vocabulary has a hole).
    let tokens: [String?]
    /// Token string → id (compared by exact UTF-8 bytes).
    let ids: [ExactString: Int]
    /// The id of the token spelling each single byte, or -1 (then that byte is dropped, as `tokenizers` does
    /// for a symbol outside the vocabulary when there is no unknown token).
    let byteIDs: [Int32]
    /// Raw bytes → id, for `ignore_merges` (a word already in the vocabulary is taken whole).
    let wholeWords: ByteStringTable
    let merges: PairTable
    let mergeCount: Int
    let ignoreMerges: Bool

    /// Reads the `model` object. Refuses options it does not implement, naming the field.
    init(_ model: JSONField, maximumID: Int) throws {
        let type = try model.typeName()
        guard type == "BPE" else { throw try model.required("type").unsupported("model type `\(type)` (only byte-level `BPE` is implemented)") }
        if let dropout = try model.optional("dropout"), !dropout.isNull {
            throw dropout.unsupported("BPE dropout (only null is implemented: encoding must be deterministic)")
        }
        for name in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let field = try model.optional(name), !field.isNull {
                let text = try field.string()
                guard text.isEmpty else { throw field.unsupported("\(name) \"\(text)\" (only null or empty is implemented)") }
            }
        }
        if let fallback = try model.optional("byte_fallback"), !fallback.isNull, try fallback.bool() {
            throw fallback.unsupported("byte_fallback true (byte-level BPE needs none)")
        }
        ignoreMerges = try model.optional("ignore_merges").map { $0.isNull ? false : try $0.bool() } ?? false

        // Vocabulary.
        let vocabulary = try model.required("vocab").members()
        guard !vocabulary.isEmpty else { throw try model.required("vocab").invalid("the vocabulary is empty") }
        var ids: [ExactString: Int] = [:]
        ids.reserveCapacity(vocabulary.count)
        var largest = 0
        var idOf: [(String, Int)] = []
        idOf.reserveCapacity(vocabulary.count)
        for (token, field) in vocabulary {
            let id = try field.index(limit: maximumID)
            ids[ExactString(token)] = id
            largest = max(largest, id)
            idOf.append((token, id))
        }
        var tokens = [String?](repeating: nil, count: largest + 1)
        for (token, id) in idOf where ids[ExactString(token)] == id {
            if let other = tokens[id], other != token {
                throw try model.required("vocab").invalid("id \(id) is given to both \"\(other)\" and \"\(token)\"")
            }
            tokens[id] = token
        }
        var byteIDs = [Int32](repeating: -1, count: 256)
        var wholeWords = ByteStringTable(expectedCount: ids.count)
        for (key, id) in ids {
            guard let raw = ByteLevelAlphabet.bytes(spelledBy: key.string), !raw.isEmpty else { continue }
            if raw.count == 1 { byteIDs[Int(raw[0])] = Int32(id) }
            var value = Int32(id)
            raw.withUnsafeBufferPointer { r in
                withUnsafePointer(to: &value) { v in
                    wholeWords.insert(r, 0, r.count, UnsafeBufferPointer(start: v, count: 1))
                }
            }
        }

        // An unknown token only matters for a byte without a token: then `tokenizers` would emit it (where this
        // model drops the byte, as `tokenizers` does without one), so that combination is refused.
        if let unknown = try model.optional("unk_token"), !unknown.isNull, byteIDs.contains(-1) {
            let missing = byteIDs.firstIndex(of: -1)!
            throw unknown.unsupported("unk_token \"\(try unknown.string())\" with byte 0x\(String(missing, radix: 16)) missing from model.vocab (byte-level BPE needs every byte)")
        }

        // Merges: "a b" strings or ["a", "b"] pairs; rank = position in the list.
        let mergesField = try model.required("merges")
        let list = try mergesField.elements()
        var merges = PairTable(capacityFor: list.count)
        for (rank, entry) in list.enumerated() {
            let left: String, right: String
            switch entry.value {
            case let .string(line):
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw entry.invalid("a merge string must be two tokens separated by one space, found \"\(line)\"") }
                left = String(parts[0]); right = String(parts[1])
            case .array:
                let pair = try entry.elements()
                guard pair.count == 2 else { throw entry.invalid("a merge pair must have 2 tokens, found \(pair.count)") }
                left = try pair[0].string(); right = try pair[1].string()
            default:
                throw entry.invalid("expected a merge as a string \"a b\" or a pair [\"a\", \"b\"], found \(entry.value.typeName)")
            }
            guard let a = ids[ExactString(left)] else { throw entry.invalid("merge names token \"\(left)\", which is not in model.vocab") }
            guard let b = ids[ExactString(right)] else { throw entry.invalid("merge names token \"\(right)\", which is not in model.vocab") }
            guard let merged = ids[ExactString(left + right)] else { throw entry.invalid("merged token \"\(left + right)\" is not in model.vocab") }
            merges.set(Int32(a), Int32(b), rank: Int32(rank), merged: Int32(merged))
        }

        self.tokens = tokens
        self.ids = ids
        self.byteIDs = byteIDs
        self.wholeWords = wholeWords
        self.merges = merges
        self.mergeCount = list.count
    }

    /// Appends the ids of the word `p[start..<end]` (raw bytes) to `output`, using and filling the cache.
    @inline(__always)
    func encodeWord(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into output: inout [Int], state: inout EncodingState) {
        if end - start == 1 {
            let id = byteIDs[Int(p[start])]
            if id >= 0 { output.append(Int(id)) }
            return
        }
        if ignoreMerges, let id = wholeWords.value(p, start, end) {
            output.append(Int(id))
            return
        }
        let hit = state.cache.withValues(p, start, end) { ids in
            for id in ids { output.append(Int(id)) }
        }
        if hit { return }
        if end - start <= Self.shortWordLength {
            mergeShortWord(p, start, end, result: &state.wordIDs)
        } else {
            mergeWord(p, start, end, symbols: &state.symbols, heap: &state.heap, result: &state.wordIDs)
        }
        state.wordIDs.withUnsafeBufferPointer { ids in
            state.cache.insert(p, start, end, ids)
            for id in ids { output.append(Int(id)) }
        }
    }

    /// Words up to this many bytes are merged by rescanning their pairs after each merge (quadratic, but with
    /// no heap and no links: faster for short words); longer ones by `mergeWord`'s heap. Both apply the
    /// lowest-ranked merge present, leftmost first, so they give the same ids.
    static let shortWordLength = 24

    /// `mergeWord` for a short word: pair keys `rank << 32 | merged id` in a scratch array, the smallest (leftmost
    /// on a tie, which can only be the same merge) applied until none is left.
    private func mergeShortWord(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, result: inout [Int32]) {
        result.removeAll(keepingCapacity: true)
        for i in start..<end {
            let id = byteIDs[Int(p[i])]
            if id >= 0 { result.append(id) }
        }
        var n = result.count
        guard n > 1 else { return }
        let merges = self.merges
        @inline(__always) func key(_ a: Int32, _ b: Int32) -> UInt64 {
            guard let m = merges.get(a, b) else { return UInt64.max }
            return UInt64(UInt32(bitPattern: m.rank)) << 32 | UInt64(UInt32(bitPattern: m.merged))
        }
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: n) { pairs in
            result.withUnsafeMutableBufferPointer { ids in
                for i in 0..<(n - 1) { pairs[i] = key(ids[i], ids[i + 1]) }
                while n > 1 {
                    var best = UInt64.max, at = -1
                    for i in 0..<(n - 1) where pairs[i] < best { best = pairs[i]; at = i }
                    guard at >= 0 else { break }
                    ids[at] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
                    // Remove symbol at + 1; pair k (symbols k, k + 1) for k > at is the old pair k + 1.
                    var k = at + 1
                    while k < n - 1 { ids[k] = ids[k + 1]; k += 1 }
                    k = at + 1
                    while k < n - 2 { pairs[k] = pairs[k + 1]; k += 1 }
                    n -= 1
                    if at > 0 { pairs[at - 1] = key(ids[at - 1], ids[at]) }
                    if at < n - 1 { pairs[at] = key(ids[at], ids[at + 1]) }
                }
            }
        }
        result.removeLast(result.count - n)
    }

    /// Merges the bytes of one word into `result`, always applying the lowest-ranked merge present, leftmost
    /// first: a min-heap of candidate pairs keyed (rank, position), with entries that went stale (their symbols
    /// merged since) skipped when popped, as `tokenizers`' word merging does.
    private func mergeWord(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
                           symbols: inout [Symbol], heap: inout MergeHeap, result: inout [Int32]) {
        symbols.removeAll(keepingCapacity: true)
        result.removeAll(keepingCapacity: true)
        for i in start..<end {
            let id = byteIDs[Int(p[i])]
            if id >= 0 {
                let k = Int32(symbols.count)
                symbols.append(Symbol(id: id, previous: k - 1, next: k + 1, alive: true))
            }
        }
        let n = symbols.count
        guard n > 0 else { return }
        symbols[n - 1].next = -1
        heap.removeAll(keepingCapacity: true)
        symbols.withUnsafeMutableBufferPointer { s in
            for i in 0..<(n - 1) {
                if let m = merges.get(s[i].id, s[i + 1].id) {
                    heap.push(rank: m.rank, position: Int32(i), merged: m.merged)
                }
            }
            while let top = heap.pop() {
                let pos = Int(top.position)
                guard s[pos].alive, s[pos].next >= 0 else { continue }
                let right = Int(s[pos].next)
                // A stale entry: the pair at `pos` is no longer the one this merge was pushed for.
                guard let current = merges.get(s[pos].id, s[right].id), current.merged == top.merged else { continue }
                s[pos].id = top.merged
                s[right].alive = false
                let after = s[right].next
                s[pos].next = after
                if after >= 0 { s[Int(after)].previous = Int32(pos) }
                let before = s[pos].previous
                if before >= 0, let m = merges.get(s[Int(before)].id, s[pos].id) {
                    heap.push(rank: m.rank, position: before, merged: m.merged)
                }
                if after >= 0, let m = merges.get(s[pos].id, s[Int(after)].id) {
                    heap.push(rank: m.rank, position: Int32(pos), merged: m.merged)
                }
            }
            for i in 0..<n where s[i].alive { result.append(s[i].id) }
        }
    }
}

/// One symbol of a word being merged: a node of a doubly linked list over an array.
struct Symbol {
    var id: Int32
    var previous: Int32
    var next: Int32
    var alive: Bool
}

/// Scratch space and the word cache of one tokenizer (kept between calls; guarded by the tokenizer's lock).
struct EncodingState {
    var cache = ByteStringTable(expectedCount: 4096, byteCapacity: 16 << 20)
    var symbols: [Symbol] = []
    var wordIDs: [Int32] = []
    var heap = MergeHeap()
    /// Word ranges produced by pre-tokenization, and a buffer for pieces that pre-tokenization rewrites.
    var pieces: [Int] = []
    var nextPieces: [Int] = []
}

/// A binary min-heap of candidate merges ordered by (rank, position).
struct MergeHeap {
    struct Entry {
        var key: UInt64          // rank << 32 | position: both non-negative, so integer order is (rank, position) order
        var merged: Int32
        var position: Int32 { Int32(truncatingIfNeeded: key) }
    }
    private var entries: [Entry] = []

    mutating func removeAll(keepingCapacity: Bool) { entries.removeAll(keepingCapacity: keepingCapacity) }

    mutating func push(rank: Int32, position: Int32, merged: Int32) {
        entries.append(Entry(key: UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: position)), merged: merged))
        entries.withUnsafeMutableBufferPointer { e in
            var i = e.count - 1
            let item = e[i]
            while i > 0 {
                let parent = (i - 1) >> 1
                guard item.key < e[parent].key else { break }
                e[i] = e[parent]
                i = parent
            }
            e[i] = item
        }
    }

    mutating func pop() -> Entry? {
        guard let last = entries.popLast() else { return nil }
        if entries.isEmpty { return last }
        return entries.withUnsafeMutableBufferPointer { e in
            let top = e[0]
            var i = 0
            let n = e.count
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                var c = l
                if l + 1 < n, e[l + 1].key < e[l].key { c = l + 1 }
                guard e[c].key < last.key else { break }
                e[i] = e[c]
                i = c
            }
            e[i] = last
            return top
        }
    }
}

/// A string compared and hashed by its exact UTF-8 bytes. Swift's `String` equality and hashing follow canonical
/// equivalence (so "e\u{301}" == "é"), but token strings are distinct when their bytes are; it is also faster.
struct ExactString: Hashable {
    let string: String

    init(_ string: String) {
        var s = string
        s.makeContiguousUTF8()
        self.string = s
    }

    static func == (a: ExactString, b: ExactString) -> Bool {
        var x = a.string, y = b.string
        return x.withUTF8 { p in y.withUTF8 { q in p.count == q.count && (p.count == 0 || memcmp(p.baseAddress!, q.baseAddress!, p.count) == 0) } }
    }

    func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
