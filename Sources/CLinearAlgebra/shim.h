// CBLAS (OpenBLAS) and LAPACKE (netlib, resolving to OpenBLAS's LAPACK) for the Tensors module.
#include <cblas.h>
#include <lapacke.h>
