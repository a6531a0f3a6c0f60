// CBLAS (OpenBLAS) and LAPACKE (netlib, resolving to OpenBLAS's LAPACK) for the Tensors module,
// and glibc's mallopt, with which Tensors keeps freed result buffers for reuse.
#include <cblas.h>
#include <lapacke.h>
#include <malloc.h>
