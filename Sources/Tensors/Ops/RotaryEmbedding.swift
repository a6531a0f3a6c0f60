import Foundation

/// Rotary position embedding (RoPE), forward and backward side by side.
extension Tensor {
    /// RoPE in Hugging Face's "rotate_half" convention (Llama): each head vector's pair
    /// `(x[i], x[i + half])`, `i < half = headDim / 2`, is turned by the angle `θ = p · f[i]`, with `p`
    /// the token's position id and `f = inverseFrequencies`:
    ///
    ///     y[i]        = x[i] cos θ − x[i + half] sin θ
    ///     y[i + half] = x[i + half] cos θ + x[i] sin θ
    ///
    /// Shapes: `x` `[batch, heads, t, headDim]` with `headDim` even; `positions` holds one id per
    /// (batch entry, query position), `positions[b * t + j]`, so left-padded rows can start at 0;
    /// `inverseFrequencies` has `headDim / 2` entries. Result: the shape of `x`.
    ///
    /// `θ` is the Float32 product `Float(p) · f[i]`, as Hugging Face computes it, so long positions
    /// round the angle the same way; `cos θ`, `sin θ` are then taken in Float64 and rounded.
    ///
    /// Backward: each pair is multiplied by the rotation matrix `[[c, −s], [s, c]]`, so the gradient
    /// is multiplied by its transpose, the rotation by `−θ`:
    /// `dx[i] = g[i] cos θ + g[i + half] sin θ`, `dx[i + half] = g[i + half] cos θ − g[i] sin θ`.
    /// - Throws: `TensorError.invalidShape` naming `rotaryEmbedding` for a tensor that is not rank 4
    ///   or has an odd last axis; `TensorError.invalidArgument` for a wrong number of positions or
    ///   frequencies, or a negative position.
    public static func rotaryEmbedding(_ x: Tensor, positions: [Int], inverseFrequencies: [Float]) throws -> Tensor {
        let angles = try RotaryAngles(shape: x.shape, positions: positions, inverseFrequencies: inverseFrequencies)
        let output = angles.rotate(x.scalars, direction: 1)
        return result(shape: x.shape, scalars: output, inputs: [x]) { [shape = x.shape] g in
            [Tensor(validShape: shape, scalars: angles.rotate(g.scalars, direction: -1))]
        }
    }
}

/// The `cos θ` and `sin θ` of one RoPE call, one table row per (batch entry, position).
struct RotaryAngles {
    let heads: Int, t: Int, half: Int
    /// `[batch * t, half]` each.
    let cosines: [Float], sines: [Float]

    init(shape: [Int], positions: [Int], inverseFrequencies: [Float]) throws {
        guard shape.count == 4 else {
            throw TensorError.invalidShape(op: "rotaryEmbedding", shape: shape, reason: "x must be [batch, heads, positions, headDim]")
        }
        let (batch, headDim) = (shape[0], shape[3])
        (heads, t) = (shape[1], shape[2])
        guard headDim % 2 == 0 else {
            throw TensorError.invalidShape(op: "rotaryEmbedding", shape: shape, reason: "the head dimension \(headDim) must be even")
        }
        half = headDim / 2
        guard inverseFrequencies.count == half else {
            throw TensorError.invalidArgument(
                op: "rotaryEmbedding",
                reason: "\(inverseFrequencies.count) inverse frequencies were given; a head dimension of \(headDim) needs \(half)")
        }
        guard positions.count == batch * t else {
            throw TensorError.invalidArgument(
                op: "rotaryEmbedding",
                reason: "\(positions.count) positions were given; batch \(batch) x \(t) positions needs \(batch * t)")
        }
        if let bad = positions.firstIndex(where: { $0 < 0 }) {
            throw TensorError.invalidArgument(
                op: "rotaryEmbedding",
                reason: "position id \(positions[bad]) at index \(bad) (batch entry \(bad / max(t, 1)), position \(bad % max(t, 1))) is negative")
        }
        var cosines = [Float](repeating: 0, count: positions.count * half)
        var sines = cosines
        for (row, position) in positions.enumerated() {
            for i in 0..<half {
                let angle = Double(Float(position) * inverseFrequencies[i])
                cosines[row * half + i] = Float(Foundation.cos(angle))
                sines[row * half + i] = Float(Foundation.sin(angle))
            }
        }
        self.cosines = cosines
        self.sines = sines
    }

    /// Every head vector of `x` (`[batch, heads, t, 2 half]`) turned by `direction · θ`
    /// (`1`: the forward rotation; `-1`: its transpose, for the gradient).
    func rotate(_ x: [Float], direction: Float) -> [Float] {
        let (half, heads, t) = (half, heads, t)
        return cosines.withUnsafeBufferPointer { cosines in sines.withUnsafeBufferPointer { sines in
            Kernels.mapRows(x, rowLength: 2 * half) { row, input, output in
                // Row `row` is head vector (b, h, j); its angles are table row b * t + j.
                let table = (row / (heads * t)) * t + row % t
                let (c, s) = (cosines.baseAddress! + table * half, sines.baseAddress! + table * half)
                for i in 0..<half {
                    let (first, second, sine) = (input[i], input[i + half], direction * s[i])
                    output[i] = first * c[i] - second * sine
                    output[i + half] = second * c[i] + first * sine
                }
            }
        } }
    }
}
