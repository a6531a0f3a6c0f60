import Testing
@testable import Tensors

/// Which OpenBLAS kernels `configureOpenBLAS` asks for, from `/proc/cpuinfo` texts.
@Suite struct KernelSelectionTests {
    static let avx512 = "fpu sse sse2 avx fma avx2 avx512f avx512dq avx512bw avx512vl"
    static let avx2 = "fpu sse sse2 avx fma avx2"

    /// A `/proc/cpuinfo` of two processor blocks; only the first is read.
    static func cpuInfo(vendor: String, family: Int, model: Int, flags: String) -> String {
        """
        processor\t: 0
        vendor_id\t: \(vendor)
        cpu family\t: \(family)
        model\t\t: \(model)
        flags\t\t: \(flags)

        processor\t: 1
        vendor_id\t: AuthenticAMD
        cpu family\t: 25
        flags\t\t: \(avx512)

        """
    }

    @Test func anUnrecognizedProcessorGetsTheWidestKernelsItSupports() {
        let intel = { (flags: String) in Self.cpuInfo(vendor: "GenuineIntel", family: 6, model: 207, flags: flags) }
        #expect(LinearAlgebraBackend.preferredKernels(chosen: "Prescott", cpuInfo: intel(Self.avx512)) == "SkylakeX")
        #expect(LinearAlgebraBackend.preferredKernels(chosen: "Prescott", cpuInfo: intel(Self.avx2)) == "Haswell")
        #expect(LinearAlgebraBackend.preferredKernels(chosen: "Prescott", cpuInfo: intel("fpu sse sse2 sse3")) == nil)
        #expect(LinearAlgebraBackend.preferredKernels(chosen: "unknown", cpuInfo: "") == nil)
    }

    @Test func zen4UsesTheAVX2KernelsAndOtherChoicesStand() {
        let zen4 = Self.cpuInfo(vendor: "AuthenticAMD", family: 25, model: 17, flags: Self.avx512)
        #expect(LinearAlgebraBackend.preferredKernels(chosen: "Cooperlake", cpuInfo: zen4) == "Haswell")
        #expect(LinearAlgebraBackend.preferredKernels(chosen: "SkylakeX", cpuInfo: zen4) == "Haswell")
        #expect(LinearAlgebraBackend.preferredKernels(chosen: "Haswell", cpuInfo: zen4) == nil)
        // Zen 5 runs 512-bit arithmetic at full width; an Intel processor OpenBLAS recognized keeps its kernels.
        let zen5 = Self.cpuInfo(vendor: "AuthenticAMD", family: 26, model: 2, flags: Self.avx512)
        #expect(LinearAlgebraBackend.preferredKernels(chosen: "Cooperlake", cpuInfo: zen5) == nil)
        let skylake = Self.cpuInfo(vendor: "GenuineIntel", family: 6, model: 85, flags: Self.avx512)
        #expect(LinearAlgebraBackend.preferredKernels(chosen: "SkylakeX", cpuInfo: skylake) == nil)
        // Only the first processor's block counts: one that names no vendor is not a Zen 4.
        #expect(LinearAlgebraBackend.preferredKernels(chosen: "Cooperlake", cpuInfo: "processor\t: 0\nflags\t\t: \(Self.avx512)\n\n" + zen4) == nil)
        #expect(LinearAlgebraBackend.preferredKernels(chosen: "Zen", cpuInfo: Self.cpuInfo(vendor: "AuthenticAMD", family: 25, model: 33, flags: Self.avx2)) == nil)
    }
}
