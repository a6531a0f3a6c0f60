import Foundation

/// Open-addressing hash tables without per-lookup allocation: the hot paths of encoding look words up by a
/// byte range of the input and merge pairs by two ids.

/// Byte strings → short lists of token ids (the whole-word vocabulary and the word cache).
/// Keys and values live in two arenas; a slot holds offsets into them.
struct ByteStringTable {
    private struct Slot {
        var hash: UInt64 = 0
        var keyStart: Int32 = -1      // -1: empty slot
        var keyLength: Int32 = 0
        var valueStart: Int32 = 0
        var valueLength: Int32 = 0
    }

    private var slots: [Slot]
    private var mask: Int
    private var keys: [UInt8] = []
    private var values: [Int32] = []
    private(set) var count = 0
    /// Inserts stop (silently) once the key arena would pass this many bytes: a bounded cache.
    let byteCapacity: Int

    init(expectedCount: Int = 1024, byteCapacity: Int = Int(Int32.max) / 2) {
        var capacity = 16
        while capacity < expectedCount * 2 { capacity <<= 1 }
        slots = [Slot](repeating: Slot(), count: capacity)
        mask = capacity - 1
        self.byteCapacity = byteCapacity
    }

    @inline(__always)
    static func hash(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        // FNV-1a, 8 bytes at a time where possible.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var i = start
        while i + 8 <= end {
            let word = UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: UInt64.self)
            h = (h ^ word) &* 0x100_0000_01b3
            h ^= h >> 29
            i += 8
        }
        while i < end {
            h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3
            i += 1
        }
        return h ^ (h >> 32) ^ UInt64(end - start)
    }

    /// The values stored for `p[start..<end]`, passed to `body`; false when absent.
    @inline(__always)
    func withValues(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
                    _ body: (UnsafeBufferPointer<Int32>) -> Void) -> Bool {
        let h = Self.hash(p, start, end)
        let length = end - start
        return slots.withUnsafeBufferPointer { s in
            keys.withUnsafeBufferPointer { k in
                var i = Int(truncatingIfNeeded: h) & mask
                while true {
                    let slot = s[i]
                    if slot.keyStart < 0 { return false }
                    if slot.hash == h, Int(slot.keyLength) == length,
                       memcmp(k.baseAddress! + Int(slot.keyStart), p.baseAddress! + start, length) == 0 {
                        values.withUnsafeBufferPointer { v in
                            body(UnsafeBufferPointer(rebasing: v[Int(slot.valueStart)..<Int(slot.valueStart + slot.valueLength)]))
                        }
                        return true
                    }
                    i = (i + 1) & mask
                }
            }
        }
    }

    /// The single value of a key, when present.
    func value(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int32? {
        var found: Int32?
        _ = withValues(p, start, end) { found = $0.first }
        return found
    }

    /// Stores `values` for `p[start..<end]` (the caller makes sure the key is absent).
    mutating func insert(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ newValues: UnsafeBufferPointer<Int32>) {
        guard keys.count + (end - start) <= byteCapacity else { return }
        if (count + 1) * 2 > slots.count { grow() }
        let h = Self.hash(p, start, end)
        var slot = Slot(hash: h, keyStart: Int32(keys.count), keyLength: Int32(end - start),
                        valueStart: Int32(values.count), valueLength: Int32(newValues.count))
        keys.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<end]))
        values.append(contentsOf: newValues)
        var i = Int(truncatingIfNeeded: h) & mask
        slots.withUnsafeMutableBufferPointer { s in
            while s[i].keyStart >= 0 { i = (i + 1) & mask }
            swap(&s[i], &slot)
        }
        count += 1
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(), count: old.count * 2)
        mask = slots.count - 1
        slots.withUnsafeMutableBufferPointer { s in
            for slot in old where slot.keyStart >= 0 {
                var i = Int(truncatingIfNeeded: slot.hash) & mask
                while s[i].keyStart >= 0 { i = (i + 1) & mask }
                s[i] = slot
            }
        }
    }

    mutating func removeAll() {
        slots = [Slot](repeating: Slot(), count: 16)
        mask = 15
        keys = []
        values = []
        count = 0
    }
}

/// Pairs of token ids → (merge rank, merged token id).
struct PairTable {
    private var keys: [UInt64]
    private var entries: [UInt64]
    private let mask: Int
    private static let empty = UInt64.max

    init(capacityFor count: Int) {
        var capacity = 16
        while capacity < count * 2 { capacity <<= 1 }
        keys = [UInt64](repeating: Self.empty, count: capacity)
        entries = [UInt64](repeating: 0, count: capacity)
        mask = capacity - 1
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 24) & mask
    }

    /// Sets (overwrites) the entry of (left, right); a later duplicate merge wins, as in `tokenizers`.
    mutating func set(_ left: Int32, _ right: Int32, rank: Int32, merged: Int32) {
        let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        var i = Self.slot(key, mask)
        while keys[i] != Self.empty && keys[i] != key { i = (i + 1) & mask }
        keys[i] = key
        entries[i] = UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: merged))
    }

    /// (rank, merged id) of the pair, or nil.
    @inline(__always)
    func get(_ left: Int32, _ right: Int32) -> (rank: Int32, merged: Int32)? {
        let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        return keys.withUnsafeBufferPointer { k in
            var i = Self.slot(key, mask)
            while true {
                let stored = k[i]
                if stored == key {
                    let e = entries[i]
                    return (Int32(truncatingIfNeeded: e >> 32), Int32(truncatingIfNeeded: e))
                }
                if stored == Self.empty { return nil }
                i = (i + 1) & mask
            }
        }
    }
}
