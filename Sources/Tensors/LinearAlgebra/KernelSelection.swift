import CLinearAlgebra
import Foundation

extension LinearAlgebraBackend {
    /// The name of the kernel set OpenBLAS chose for this processor, e.g. `SkylakeX` or `Haswell`.
    public static var kernelName: String { String(cString: openblas_get_corename()) }

    /// Sets the process up for numeric work; call it first thing in `main`. It keeps freed memory
    /// for reuse (see `keepFreedMemoryForReuse()`) and sets OpenBLAS up (see `configureOpenBLAS()`).
    public static func prepareProcess() {
        keepFreedMemoryForReuse()
        configureOpenBLAS()
    }

    /// Tells glibc's allocator to keep freed blocks in the heap instead of giving them back to the
    /// kernel. Every op writes a fresh result; without this, each large result is a new mapping
    /// whose pages fault on first touch (about 1.5 ms for a 12 MB matrix product's result, 9% of the
    /// product; 80 ms for GPT-2's 206 MB logits over 8 x 128 tokens, 5% of that forward pass).
    /// No block is mapped on its own (`M_MMAP_MAX` 0: glibc caps the mapping threshold at 32 MiB,
    /// and the logits are larger), and the heap shrinks only when 512 MiB at its top are free.
    /// Caching allocators (torch's on GPUs, for one) keep memory for the same reason.
    public static func keepFreedMemoryForReuse() {
        _ = mallopt(M_MMAP_MAX, 0)
        _ = mallopt(M_TRIM_THRESHOLD, 512 << 20)
    }

    /// Sets the OpenBLAS environment variables this program wants and that you have not set, and
    /// re-executes the program once if it set any (OpenBLAS reads them only when it loads; if the
    /// re-execution fails the program goes on as it was):
    /// - `OPENBLAS_CORETYPE`: the fastest kernels for this processor when OpenBLAS chose others
    ///   (see `preferredKernels(chosen:cpuInfo:)`);
    /// - `OPENBLAS_THREAD_TIMEOUT` (see `preferredThreadTimeout`).
    public static func configureOpenBLAS() {
        let environment = ProcessInfo.processInfo.environment
        var wanted: [(String, String)] = []
        if environment["OPENBLAS_CORETYPE"] == nil,
           let cpuInfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let kernels = preferredKernels(chosen: kernelName, cpuInfo: cpuInfo) {
            wanted.append(("OPENBLAS_CORETYPE", kernels))
        }
        if environment["OPENBLAS_THREAD_TIMEOUT"] == nil {
            wanted.append(("OPENBLAS_THREAD_TIMEOUT", String(preferredThreadTimeout)))
        }
        guard !wanted.isEmpty else { return }
        for (name, value) in wanted { setenv(name, value, 1) }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }

    /// How long an idle OpenBLAS worker thread spins before it sleeps: 2^18 processor cycles
    /// (about 0.1 ms at 2.6 GHz) instead of OpenBLAS's 2^28 (about 0.1 s).
    ///
    /// Why: between two products the worker spins, waiting for the next one. When this program
    /// runs work of its own on every core at once (attention heads side by side, rows split over
    /// two threads, `DataParallel` parts), a worker still spinning takes a core from it: on a
    /// 2-vCPU EPYC, one GPT-2 attention layer's 96 heads took 3.7 ms as two one-thread halves with
    /// the worker spinning, and 2.5–3.0 ms with it asleep. A short timeout lets it sleep during
    /// that work and still spin across the microseconds between consecutive products. Measured
    /// on the same machine, best of 3 in 4 alternating rounds: the LoReFT training step of
    /// `bench reft` took 2.12–2.21 s with 2^28 and 2.05–2.10 s with 2^18; the GPT-2 forward pass and
    /// cached decoding did not change. Shorter still (2^4, 2^12) slowed decoding by 5–8%, since a
    /// sleeping worker must be woken for every product.
    public static let preferredThreadTimeout = 18

    /// The OpenBLAS kernel set to use instead of `chosen` (what OpenBLAS picked) on the processor
    /// `cpuInfo` describes (the text of `/proc/cpuinfo`), or `nil` to keep OpenBLAS's choice.
    ///
    /// - A processor newer than the OpenBLAS release (Debian 12 ships 0.3.21; Intel Xeon model 207
    ///   is one) is not recognized, and OpenBLAS falls back to its SSE3 `Prescott` kernels, about
    ///   3x slower: with AVX-512 this picks `SkylakeX`, with AVX2 and FMA `Haswell`.
    /// - On AMD Zen 4 (family 25 with AVX-512) OpenBLAS 0.3.21 picks its AVX-512 `Cooperlake`
    ///   kernels, but Zen 4 runs 512-bit arithmetic as two 256-bit halves, and the AVX2 `Haswell`
    ///   kernels are faster there: on a 2-vCPU EPYC, sgemm at 2048³ ran at 222 against 208 GFLOP/s
    ///   (2 threads) and 105–108 against 101–104 (1 thread), the GPT-2-small forward pass in 1.35
    ///   against 1.42 s. (Zen 5, family 26, executes 512 bits at once and keeps OpenBLAS's choice.)
    static func preferredKernels(chosen: String, cpuInfo: String) -> String? {
        let lines = cpuInfo.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        func field(_ name: String) -> String? {
            lines.first { $0.hasPrefix(name) && $0.dropFirst(name.count).trimmingCharacters(in: .whitespaces).hasPrefix(":") }
                .map { String($0[$0.index(after: $0.firstIndex(of: ":")!)...]).trimmingCharacters(in: .whitespaces) }
        }
        let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        let avx512 = flags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"])
        let avx2 = flags.isSuperset(of: ["avx2", "fma"])
        switch chosen.lowercased() {
        case "prescott", "unknown":
            return avx512 ? "SkylakeX" : avx2 ? "Haswell" : nil
        case "skylakex", "cooperlake":
            let zen4 = field("vendor_id") == "AuthenticAMD" && field("cpu family") == "25"
            return zen4 && avx2 ? "Haswell" : nil
        default:
            return nil
        }
    }
}
