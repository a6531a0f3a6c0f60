import Testing
import TestSupport
@testable import Tensors

/// `Tensor.affine` (a linear layer's `x Wᵀ + b` in one product, the bias as sgemm's starting
/// output) against a Float64 computation, on the sgemm path, the single-row sgemv path of
/// decoding and a batched input; its gradients are checked in `GradientTests.affineLayer`.
@Suite struct AffineTests {
    /// `x Wᵀ + b` in Float64 for `x` `[rows, in]`, `w` `[out, in]`, `b` `[out]`.
    func reference(_ x: [Float], _ w: [Float], _ b: [Float], rows: Int, inputs: Int, outputs: Int) -> [Float] {
        (0..<(rows * outputs)).map { index in
            let (r, o) = (index / outputs, index % outputs)
            let total = (0..<inputs).reduce(Double(b[o])) { sum, i in sum + Double(x[r * inputs + i]) * Double(w[o * inputs + i]) }
            return Float(total)
        }
    }

    @Test(arguments: [[5, 7], [1, 7], [2, 3, 7]])
    func matchesFloat64(inputShape: [Int]) throws {
        let (inputs, outputs) = (7, 4)
        let x = Tensor.normal(shape: inputShape, seed: 1)
        let w = Tensor.normal(shape: [outputs, inputs], seed: 2)
        let b = Tensor.normal(shape: [outputs], seed: 3)
        let y = try Tensor.affine(x, weight: w, bias: b)
        #expect(y.shape == Array(inputShape.dropLast()) + [outputs])
        let expected = reference(x.scalars, w.scalars, b.scalars, rows: x.scalars.count / inputs, inputs: inputs, outputs: outputs)
        #expect(close(y.scalars, expected, tolerance: 1e-5))
        // The same as the product followed by the broadcasting add it replaces.
        let separate = try Tensor.matmul(x, w, transposeB: true) + b
        #expect(close(y.scalars, separate.scalars, tolerance: 1e-6))
    }

    @Test func shapeMismatchNamesTheOp() {
        let x = Tensor.normal(shape: [2, 3], seed: 1), w = Tensor.normal(shape: [4, 3], seed: 2)
        #expect(throws: TensorError.self) { try Tensor.affine(x, weight: w, bias: Tensor.normal(shape: [3], seed: 3)) }
        do {
            _ = try Tensor.affine(x, weight: w, bias: Tensor.normal(shape: [5], seed: 3))
            Issue.record("expected a shape mismatch")
        } catch {
            #expect("\(error)".contains("affine"))
        }
    }
}
