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
    /// A new array of `x.count` elements made row by row: `body(row, inputRow, outputRow)` for
    /// each consecutive row of `rowLength` elements.
    @inline(__always)
    static func mapRows(
        _ x: [Float], rowLength: Int,
        _ body: (Int, UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void
    ) -> [Float] {
        [Float](unsafeUninitializedCapacity: x.count) { output, initialized in
            x.withUnsafeBufferPointer { input in
                for row in 0..<(rowLength == 0 ? 0 : x.count / rowLength) {
                    let range = (row * rowLength)..<((row + 1) * rowLength)
                    body(row, UnsafeBufferPointer(rebasing: input[range]), UnsafeMutableBufferPointer(rebasing: output[range]))
                }
            }
            initialized = x.count
        }
    }

    /// Softmax of one row, written into `output` (max-subtracted, so it never overflows); returns
    /// the row's log-partition `log Σ e^(x_i)`.
    @inline(__always) @discardableResult
    static func softmax(_ row: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) -> Float {
        let largest = row.max() ?? 0
        var total: Float = 0
        for i in row.indices {
            output[i] = Foundation.exp(row[i] - largest)
            total += output[i]
        }
        let inverse = 1 / total
        for i in row.indices { output[i] *= inverse }
        return largest + Foundation.log(total)
    }
}
