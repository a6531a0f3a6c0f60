import CLinearAlgebra
import Foundation

extension LinearAlgebraBackend {
    /// The name of the kernel set OpenBLAS chose for this processor, e.g. `SkylakeX` or `Haswell`.
    public static var kernelName: String { String(cString: openblas_get_corename()) }

    /// Makes sure OpenBLAS runs the kernels this processor supports; call it first thing in `main`.
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
