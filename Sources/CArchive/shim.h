#ifndef POUR_CARCHIVE_SHIM_H
#define POUR_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

/* inflateInit2 is a macro; this is the same call as a function Swift can import. */
static inline int pour_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}

#ifdef __linux__
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
/* openat2(2) has no glibc wrapper and syscall(2) is variadic (Swift cannot call it): this is
   the same call as a plain function. Returns the fd, or -1 with errno (ENOSYS on old kernels). */
static inline int pour_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
#ifdef SYS_openat2
    struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
#else
    errno = ENOSYS;
    return -1;
#endif
}
static const uint64_t pour_resolve_beneath = RESOLVE_BENEATH;
static const uint64_t pour_resolve_no_symlinks = RESOLVE_NO_SYMLINKS;
static const uint64_t pour_resolve_no_magiclinks = RESOLVE_NO_MAGICLINKS;
#endif
#endif
