// OpenBLAS (CBLAS) and LAPACKE, as Debian's libopenblas-dev and liblapacke-dev ship them.
#ifndef MOSAIC_CLAPACK_SHIM_H
#define MOSAIC_CLAPACK_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
