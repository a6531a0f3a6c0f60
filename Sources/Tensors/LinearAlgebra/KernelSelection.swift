import CLinearAlgebra
import Foundation

extension LinearAlgebraBackend {
    /// The name of the kernel set OpenBLAS chose for this processor, e.g. `SkylakeX` or `Haswell`.
    public static var kernelName: String { String(cString: openblas_get_corename()) }

    /// Sets the process up for numeric work; call it first thing in `main`. It keeps freed memory
    /// for reuse (see `keepFreedMemoryForReuse()`) and selects the right OpenBLAS kernels (see
    /// `selectKernelsForThisProcessor()`).
    public static func prepareProcess() {
        keepFreedMemoryForReuse()
        selectKernelsForThisProcessor()
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

    /// Makes sure OpenBLAS runs the kernels this processor supports.
    ///
    /// OpenBLAS picks its kernels from the CPU model when the library loads. Processors newer than
    /// the OpenBLAS release (Debian 12 ships 0.3.21; Xeon model 207 is one) are not recognized, and
    /// it falls back to its SSE3 `Prescott` kernels, which run matrix products about 3x slower. When
    /// that happened on a processor with AVX-512 (or AVX2 and FMA), this sets `OPENBLAS_CORETYPE` to
    /// `SkylakeX` (or `Haswell`) and re-executes the program once, since the variable is only read at
    /// load time. It does nothing when `OPENBLAS_CORETYPE` is already set, or when the re-execution
    /// fails (the program then goes on with the fallback kernels).
    public static func selectKernelsForThisProcessor() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              ["prescott", "unknown"].contains(kernelName.lowercased()),
              let flags = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
                  .split(separator: "\n").first(where: { $0.hasPrefix("flags") })?.split(separator: " ").map(String.init)
        else { return }
        let supported = Set(flags)
        let kernels: String
        if supported.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) {
            kernels = "SkylakeX"
        } else if supported.isSuperset(of: ["avx2", "fma"]) {
            kernels = "Haswell"
        } else {
            return
        }
        setenv("OPENBLAS_CORETYPE", kernels, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
