#ifndef POUR_CMALLOC_SHIM_H
#define POUR_CMALLOC_SHIM_H
// Linux (glibc) only; elsewhere the module is empty.
#if __has_include(<malloc.h>) && defined(__linux__)
#include <malloc.h>
#endif
#endif
