import CLinearAlgebra
import CMachineProbe
import Foundation
import Tensors

/// What the machine can do, measured in the same run as a benchmark so that its figures can be
/// stated as fractions: the load, the processors' float32 peak, the sgemm rate and the memory read bandwidth.
enum MachineMeasurements {
    /// The one-minute load average (processes running or waiting), or `nil` when unknown.
    static func loadAverage() -> Double? {
        var loads = [Double](repeating: 0, count: 3)
        return getloadavg(&loads, 3) >= 1 ? loads[0] : nil
    }

    /// A line stating the load, with a warning when other work is competing for the cores.
    static func loadReport(_ when: String) -> String {
        guard let load = loadAverage() else { return "load average \(when): unknown" }
        let warning = load > 0.5 ? "  (warning: above 0.5 — other processes share the cores; ratios from interleaved runs hold better than absolute figures)" : ""
        return String(format: "load average %@: %.2f%@", when, load, warning)
    }

    /// The best of `repetitions` seconds of `body`.
    static func bestSeconds(repetitions: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        return (0..<max(repetitions, 1)).map { _ in seconds(clock.measure(body)) }.min()!
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// GFLOP/s of a direct row-major `cblas_sgemm` at `size`³ (what `bench matmul` reports), best of 3.
    static func sgemmRate(size: Int = 2048) -> Double {
        let a = [Float](repeating: 0.5, count: size * size), b = [Float](repeating: 0.25, count: size * size)
        var c = [Float](repeating: 0, count: size * size)
        let n = Int32(size)
        let product = { cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, &c, n) }
        product()
        return 2 * pow(Double(size), 3) / bestSeconds(repetitions: 3, product) / 1e9
    }

    /// GFLOP/s of float32 fused multiply-adds on `threads` threads at once, each running ten
    /// independent 8-lane FMA chains for about 0.1 s (`machine_probe_fma_peak_gflops`), best of 3:
    /// the processors' peak, which no float32 matrix product on this machine can exceed.
    /// The rate is all threads' operations over the wall-clock time of the whole group (a thread
    /// that ran alone, on a core boosted while the other idles, would overstate it).
    /// `nil` when unknown (a processor without AVX2 and FMA).
    static func fmaPeakRate(threads: Int) -> Double? {
        let parts = max(1, threads), rounds = 70_000_000
        guard machine_probe_fma_peak_gflops(1_000_000) > 0 else { return nil }
        let wallClock = bestSeconds(repetitions: 3) {
            DispatchQueue.concurrentPerform(iterations: parts) { _ in _ = machine_probe_fma_peak_gflops(rounds) }
        }
        // Per round: ten FMAs of eight lanes, two operations each.
        return Double(parts * rounds * 10 * 8 * 2) / wallClock / 1e9
    }

    /// How fast any float32 implementation of a workload could run on this machine, beside the
    /// reference's best time. The workload's matrix products (`work`, as `MatrixProductTimer`
    /// counted them), with nothing else in the run, set three ceilings: at the processors' FMA peak
    /// (`peakRate`), which no float32 implementation making these products can pass; at the sgemm
    /// rate, which none making them through this BLAS can pass; and at the rate they reached in
    /// this run, the ceiling for this implementation's products. Returns one line stating them as
    /// ratios to `referenceSeconds`, beside `goal`.
    static func ceilingReport(work: MatrixProductTimer.Totals, peakRate: Double?, sgemmRate: Double, referenceName: String,
                              referenceSeconds: Double, goal: Double) -> String {
        let atSgemm = work.operations / (sgemmRate * 1e9)
        let atPeak = peakRate.map { work.operations / ($0 * 1e9) }
        let peakTime = atPeak.map { String(format: "%.2f s at the processors' float32 FMA peak (%.1f GFLOP/s, measured), ", $0, peakRate!) } ?? ""
        let peakRatio = atPeak.map { String(format: "%.2fx for any float32 implementation making these products, ", referenceSeconds / $0) } ?? ""
        return String(format: "ceiling: %.0f GFLOP of products take at least %@%.2f s at the sgemm rate (%.1f GFLOP/s) and %.2f s at the rate they reach here, with nothing else; %@ took %.3f s at best, so at most %@%.2fx of it through this BLAS, %.2fx at the products' own rate (goal %.1fx)",
                      work.operations / 1e9, peakTime, atSgemm, sgemmRate, work.seconds, referenceName, referenceSeconds,
                      peakRatio, referenceSeconds / atSgemm, referenceSeconds / work.seconds, goal)
    }

    /// Read bandwidth in GB/s: the sum of a `megabytes` Float array (far larger than any cache),
    /// split over `threads` threads, best of 3. A decoding step reads every weight once in the
    /// same way (a stream of loads), so this is its ceiling.
    static func readBandwidth(megabytes: Int = 512, threads: Int) -> Double {
        let count = megabytes << 18
        let array = [Float](repeating: 1, count: count)
        let parts = max(1, threads), chunk = (count / parts) & ~15
        let seconds = array.withUnsafeBufferPointer { buffer -> Double in
            let base = Shared(UnsafeRawPointer(buffer.baseAddress!))
            let sums = SumSlots(parts)
            return bestSeconds(repetitions: 3) {
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let end = part == parts - 1 ? count : (part + 1) * chunk
                    sums.set(part, sum(base.value, from: part * chunk, to: end))
                }
            }
        }
        return Double(count * 4) / seconds / 1e9
    }

    /// The sum of floats `start..<end` (`end − start` a multiple of 16 except for the last part,
    /// whose tail is summed one by one), with sixteen lanes of accumulators.
    private static func sum(_ base: UnsafeRawPointer, from start: Int, to end: Int) -> Float {
        var accumulators = (SIMD16<Float>(), SIMD16<Float>())
        var index = start
        while index + 32 <= end {
            accumulators.0 += base.loadUnaligned(fromByteOffset: index * 4, as: SIMD16<Float>.self)
            accumulators.1 += base.loadUnaligned(fromByteOffset: index * 4 + 64, as: SIMD16<Float>.self)
            index += 32
        }
        var total = (accumulators.0 + accumulators.1).sum()
        while index < end {
            total += base.load(fromByteOffset: index * 4, as: Float.self)
            index += 1
        }
        return total
    }

    /// A pointer the summing threads only read.
    private struct Shared: @unchecked Sendable {
        let value: UnsafeRawPointer
        init(_ value: UnsafeRawPointer) { self.value = value }
    }

    /// Per-thread results, kept so the sums are not optimized away.
    /// (Raw memory, each thread writing its own slot: no exclusivity check between the threads.)
    private final class SumSlots: @unchecked Sendable {
        private let values: UnsafeMutablePointer<Float>
        init(_ count: Int) { values = .allocate(capacity: count); values.initialize(repeating: 0, count: count) }
        deinit { values.deallocate() }
        func set(_ index: Int, _ value: Float) { values[index] = value }
    }
}
