import Foundation

/// Loops over contiguous `Float` buffers: the elementwise work of every op. They run over unsafe
/// buffers so the optimizer can vectorize them; matrix work never comes here (it goes to BLAS).
enum Kernels {
    /// `f` applied to every element.
    @inline(__always)
    static func map(_ x: [Float], _ f: (Float) -> Float) -> [Float] {
        [Float](unsafeUninitializedCapacity: x.count) { output, count in
            x.withUnsafeBufferPointer { input in
                for i in 0..<input.count { output[i] = f(input[i]) }
            }
            count = x.count
        }
    }

    /// `f` applied to every pair of elements of two same-length arrays.
    @inline(__always)
    static func zip(_ x: [Float], _ y: [Float], _ f: (Float, Float) -> Float) -> [Float] {
        precondition(x.count == y.count, "Kernels.zip: lengths \(x.count) and \(y.count)")
        return [Float](unsafeUninitializedCapacity: x.count) { output, count in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    for i in 0..<px.count { output[i] = f(px[i], py[i]) }
                }
            }
            count = x.count
        }
    }

    /// `f` applied to every triple of elements of three same-length arrays.
    @inline(__always)
    static func zip(_ x: [Float], _ y: [Float], _ z: [Float], _ f: (Float, Float, Float) -> Float) -> [Float] {
        precondition(x.count == y.count && y.count == z.count, "Kernels.zip: lengths \(x.count), \(y.count), \(z.count)")
        return [Float](unsafeUninitializedCapacity: x.count) { output, count in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    z.withUnsafeBufferPointer { pz in
                        for i in 0..<px.count { output[i] = f(px[i], py[i], pz[i]) }
                    }
                }
            }
            count = x.count
        }
    }

    /// Elementwise sum of two same-length arrays.
    static func add(_ x: [Float], _ y: [Float]) -> [Float] { zip(x, y, +) }

    /// The sum of a buffer's elements, with eight independent accumulators so that it vectorizes.
    @inline(__always)
    static func sum(_ x: UnsafeBufferPointer<Float>) -> Float {
        var accumulators = SIMD8<Float>(repeating: 0)
        let vectorCount = x.count / 8
        for chunk in 0..<vectorCount {
            let base = chunk * 8
            accumulators += SIMD8(x[base], x[base + 1], x[base + 2], x[base + 3],
                                  x[base + 4], x[base + 5], x[base + 6], x[base + 7])
        }
        var total = accumulators.sum()
        for i in (vectorCount * 8)..<x.count { total += x[i] }
        return total
    }

    /// The dot product of two equal-length buffers, with eight independent accumulators.
    @inline(__always)
    static func dot(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>) -> Float {
        var accumulators = SIMD8<Float>(repeating: 0)
        let vectorCount = x.count / 8
        for chunk in 0..<vectorCount {
            let base = chunk * 8
            let a = SIMD8(x[base], x[base + 1], x[base + 2], x[base + 3], x[base + 4], x[base + 5], x[base + 6], x[base + 7])
            let b = SIMD8(y[base], y[base + 1], y[base + 2], y[base + 3], y[base + 4], y[base + 5], y[base + 6], y[base + 7])
            accumulators += a * b
        }
        var total = accumulators.sum()
        for i in (vectorCount * 8)..<x.count { total += x[i] * y[i] }
        return total
    }
}

extension Kernels {
    /// `count` floats left unset, for results that a product (`beta = 0`) or a loop overwrites
    /// in full before anything reads them: zero-filling them first would be a wasted pass.
    @inline(__always)
    static func unset(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// A new array of `x.count` elements made row by row: `body(row, inputRow, outputRow)` for
    /// each consecutive row of `rowLength` elements. Large arrays split their rows over two
    /// threads (`forEachChunk`), so `body` may run on two rows at once: it must write only its
    /// output row (and anything else only through memory that row alone owns).
    @inline(__always)
    static func mapRows(
        _ x: [Float], rowLength: Int,
        _ body: (Int, UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void
    ) -> [Float] {
        [Float](unsafeUninitializedCapacity: x.count) { output, initialized in
            x.withUnsafeBufferPointer { input in
                let (input, output) = (input.baseAddress, output.baseAddress)
                forEachChunk(count: rowLength == 0 ? 0 : x.count / rowLength, alignment: 1, elementsPerItem: rowLength) { rows in
                    for row in rows {
                        body(row, UnsafeBufferPointer(start: input! + row * rowLength, count: rowLength),
                             UnsafeMutableBufferPointer(start: output! + row * rowLength, count: rowLength))
                    }
                }
            }
            initialized = x.count
        }
    }

    /// Softmax of one row, written into `output` (which may be the row itself; max-subtracted, so
    /// it never overflows); returns the row's log-partition `log Σ e^(x_i)`. The exponentials run
    /// eight at a time (`VectorExponential`, within a few ulps of `expf`).
    @inline(__always) @discardableResult
    static func softmax(_ row: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) -> Float {
        let count = row.count
        guard count > 0 else { return -.infinity }
        let (input, destination) = (row.baseAddress!, output.baseAddress!)
        var largest = -Float.infinity
        var index = 0
        var largestLanes = SIMD8<Float>(repeating: -.infinity)
        while index + 8 <= count {
            // A masked replacement, not `pointwiseMax`, which is an out-of-line call per vector.
            let values = load(input + index, available: 8)
            largestLanes.replace(with: values, where: values .> largestLanes)
            index += 8
        }
        largest = largestLanes.max()
        while index < count { largest = max(largest, input[index]); index += 1 }
        var totals = SIMD8<Float>(repeating: 0)
        vectorLoop(0..<count, into: destination) { index, available in
            let values = VectorExponential.exp(load(input + index, available: available) - largest)
            // Lanes past the row's end hold e^(0 − largest): keep them out of the total.
            totals += available >= 8 ? values : values.replacing(with: 0, where: SIMD8(0, 1, 2, 3, 4, 5, 6, 7) .>= Int32(available))
            return values
        }
        let total = totals.sum()
        let inverse = 1 / total
        vectorLoop(0..<count, into: destination) { index, available in load(destination + index, available: available) * inverse }
        return largest + Foundation.log(total)
    }
}

extension Kernels {
    /// Below this many elements a vector map runs on one thread: splitting costs more than it saves.
    static let parallelThreshold = 1 << 17

    /// `f` applied to eight elements at a time (the last partial group zero-padded, its padding
    /// discarded). Large arrays are split in two halves run on two threads when the linear-algebra
    /// backend is allowed more than one (the same budget as the matrix products, idle meanwhile).
    @inline(__always)
    static func map8(_ x: [Float], _ f: (SIMD8<Float>) -> SIMD8<Float>) -> [Float] {
        [Float](unsafeUninitializedCapacity: x.count) { output, count in
            x.withUnsafeBufferPointer { input in
                let (source, destination) = (input.baseAddress!, output.baseAddress!)
                forEachChunk(count: input.count) { range in
                    vectorLoop(range, into: destination) { index, available in f(load(source + index, available: available)) }
                }
            }
            count = x.count
        }
    }

    /// `f` applied to eight pairs of elements at a time; see `map8`.
    @inline(__always)
    static func zip8(_ x: [Float], _ y: [Float], _ f: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>) -> [Float] {
        precondition(x.count == y.count, "Kernels.zip8: lengths \(x.count) and \(y.count)")
        return [Float](unsafeUninitializedCapacity: x.count) { output, count in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    let (first, second, destination) = (px.baseAddress!, py.baseAddress!, output.baseAddress!)
                    forEachChunk(count: px.count) { range in
                        vectorLoop(range, into: destination) { index, available in
                            f(load(first + index, available: available), load(second + index, available: available))
                        }
                    }
                }
            }
            count = x.count
        }
    }
}

/// The pointer plumbing of `map8` / `zip8`: splitting over threads, and full and partial SIMD loads.
extension Kernels {
    /// Runs `body` over `0..<count` items, as two halves on two threads when that pays: when the
    /// items hold at least `parallelThreshold` elements (`elementsPerItem` each: 1 for elements, the
    /// row length for rows). The first half's length is a multiple of `alignment` (8 for elements,
    /// so only the last chunk has a partial vector). `body` must write only what its range owns.
    @inline(__always)
    static func forEachChunk(count: Int, alignment: Int = 8, elementsPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        if count >= 2 && count * elementsPerItem >= parallelThreshold && BLAS.threadCount >= 2 {
            let half = (count / 2) / alignment * alignment
            withoutActuallyEscaping(body) { body in
                // The two halves write disjoint ranges of the output and only read the inputs.
                let halves = UncheckedSendable(body)
                DispatchQueue.concurrentPerform(iterations: 2) { part in halves.value(part == 0 ? 0..<half : half..<count) }
            }
        } else {
            body(0..<count)
        }
    }

    /// Writes `vector(index, available)` for index = lower, lower + 8, … of `range` at `output + index`
    /// (`available` = elements left in the range; only the last step has fewer than 8).
    @inline(__always)
    static func vectorLoop(_ range: Range<Int>, into output: UnsafeMutablePointer<Float>, _ vector: (Int, Int) -> SIMD8<Float>) {
        var index = range.lowerBound
        while index < range.upperBound {
            let available = range.upperBound - index
            store(vector(index, available), output + index, available: available)
            index += 8
        }
    }

    /// Eight lanes from `pointer`, or fewer (the rest zero) when `available < 8`.
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>, available: Int) -> SIMD8<Float> {
        if available >= 8 { return UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self) }
        var lanes = SIMD8<Float>(repeating: 0)
        for lane in 0..<available { lanes[lane] = pointer[lane] }
        return lanes
    }

    /// Stores the first `min(8, available)` lanes of `lanes` at `pointer`.
    @inline(__always)
    static func store(_ lanes: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>, available: Int) {
        if available >= 8 {
            UnsafeMutableRawPointer(pointer).storeBytes(of: lanes, as: SIMD8<Float>.self)
        } else {
            for lane in 0..<available { pointer[lane] = lanes[lane] }
        }
    }
}

/// A value handed to the threads of `Kernels.forEachChunk` and `DataParallel.run`, which use it
/// without races (see there).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
