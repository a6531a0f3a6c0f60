#ifndef CMACHINEPROBE_H
#define CMACHINEPROBE_H

/// GFLOP/s of one thread running `iterations` rounds of ten independent 8-lane float32
/// fused multiply-adds (AVX2 + FMA): the core's float32 peak, which no matrix product exceeds.
/// Ten chains cover the FMA latency on two pipes, so the loop is bound by throughput alone.
/// Returns 0 when the processor lacks AVX2 or FMA, or is not x86-64 (the peak is then unknown).
double machine_probe_fma_peak_gflops(long iterations);

#endif
