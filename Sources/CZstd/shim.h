#ifndef POUR_CZSTD_SHIM_H
#define POUR_CZSTD_SHIM_H
#include <zstd.h>
#endif
