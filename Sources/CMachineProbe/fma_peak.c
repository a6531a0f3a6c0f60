#include "CMachineProbe.h"
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/// Compiled for AVX2 + FMA whatever the package's flags, and called only after the processor is
/// checked, so a build for baseline x86-64 still measures the peak of the processor it runs on.
__attribute__((target("avx2,fma")))
static double fma_rounds(long iterations) {
    __m256 b = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(0.001f);
    __m256 a0 = _mm256_set1_ps(0), a1 = _mm256_set1_ps(1), a2 = _mm256_set1_ps(2), a3 = _mm256_set1_ps(3),
           a4 = _mm256_set1_ps(4), a5 = _mm256_set1_ps(5), a6 = _mm256_set1_ps(6), a7 = _mm256_set1_ps(7),
           a8 = _mm256_set1_ps(8), a9 = _mm256_set1_ps(9);
    double start = seconds_now();
    for (long i = 0; i < iterations; i++) {
        // Each chain a += b·c. Written as instructions, which the compiler can neither drop nor
        // merge (from intrinsics, clang kept nine chains of ten): the FMAs per round must be exact.
        __asm__ volatile(
            "vfmadd231ps %[b], %[c], %[a0]\n\t" "vfmadd231ps %[b], %[c], %[a1]\n\t"
            "vfmadd231ps %[b], %[c], %[a2]\n\t" "vfmadd231ps %[b], %[c], %[a3]\n\t"
            "vfmadd231ps %[b], %[c], %[a4]\n\t" "vfmadd231ps %[b], %[c], %[a5]\n\t"
            "vfmadd231ps %[b], %[c], %[a6]\n\t" "vfmadd231ps %[b], %[c], %[a7]\n\t"
            "vfmadd231ps %[b], %[c], %[a8]\n\t" "vfmadd231ps %[b], %[c], %[a9]\n\t"
            : [a0] "+x"(a0), [a1] "+x"(a1), [a2] "+x"(a2), [a3] "+x"(a3), [a4] "+x"(a4),
              [a5] "+x"(a5), [a6] "+x"(a6), [a7] "+x"(a7), [a8] "+x"(a8), [a9] "+x"(a9)
            : [b] "x"(b), [c] "x"(c));
    }
    double elapsed = seconds_now() - start;
    // Ten FMAs of eight lanes, two operations each, per round.
    return (double)iterations * 10 * 8 * 2 / elapsed / 1e9;
}

double machine_probe_fma_peak_gflops(long iterations) {
    __builtin_cpu_init();
    if (iterations <= 0 || !__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
    return fma_rounds(iterations);
}

#else

double machine_probe_fma_peak_gflops(long iterations) {
    (void)iterations;
    return 0;
}

#endif
