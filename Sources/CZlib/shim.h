// zlib as Debian's zlib1g-dev ships it: gzip-compressed input files read decompressed.
#ifndef MOSAIC_CZLIB_SHIM_H
#define MOSAIC_CZLIB_SHIM_H
#include <zlib.h>
#endif
