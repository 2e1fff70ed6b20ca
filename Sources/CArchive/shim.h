#ifndef POUR_CARCHIVE_SHIM_H
#define POUR_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

/* inflateInit2 is a macro; this is the same call as a function Swift can import. */
static inline int pour_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}
#endif
