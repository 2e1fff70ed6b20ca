// libarchive and zlib for Swift. libarchive is loaded on first use, not linked.
//
// Loading libarchive and its dependencies (libxml2, nettle, acl, lzma, bz2, lz4…) cost ~2.9 ms
// of CPU at every start, although only extraction uses it (Docs/Performance.md, "Start-up").
// Each `pour_archive_*` wrapper below has libarchive's exact signature and resolves its function
// with dlsym the first time it runs; Sources/Core/Unpack/LibArchive.swift gives them libarchive's
// own names inside PourCore, so call sites read as libarchive calls. zlib (small, and used
// directly by GzipVerifyingSource) stays linked.
//
// Thread-safety: the handle and each resolved pointer are published with release/acquire
// atomics (dlopen/dlsym are thread-safe; a racing second resolution stores the same value).
#ifndef POUR_CARCHIVE_SHIM_H
#define POUR_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <stddef.h>
#include <zlib.h>

/* inflateInit2 is a macro; this is the same call as a function Swift can import. */
static inline int pour_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}

#if defined(__APPLE__)
#define POUR_ARCHIVE_LIBRARY "libarchive.13.dylib"
#else
#define POUR_ARCHIVE_LIBRARY "libarchive.so.13"
#endif

static inline void *pour_archive_resolve(void **slot, const char *name) {
    static void *handle;
    void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (fn != NULL) return fn;
    void *library = __atomic_load_n(&handle, __ATOMIC_ACQUIRE);
    if (library == NULL) {
        library = dlopen(POUR_ARCHIVE_LIBRARY, RTLD_NOW | RTLD_LOCAL);
        if (library == NULL) return NULL;
        __atomic_store_n(&handle, library, __ATOMIC_RELEASE);
    }
    fn = dlsym(library, name);
    if (fn != NULL) __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
    return fn;
}

/// 1 when libarchive loads (checked before the first extraction), else 0.
static inline int pour_archive_available(void) {
    static void *slot;
    return pour_archive_resolve(&slot, "archive_read_new") != NULL;
}

#define POUR_ARCHIVE_FN(ret, name, params, args) \
    static inline ret pour_##name params { \
        static void *slot; \
        return ((ret (*) params)pour_archive_resolve(&slot, #name)) args; \
    }

POUR_ARCHIVE_FN(struct archive *, archive_read_new, (void), ())
POUR_ARCHIVE_FN(int, archive_read_free, (struct archive *a), (a))
POUR_ARCHIVE_FN(int, archive_read_support_filter_all, (struct archive *a), (a))
POUR_ARCHIVE_FN(int, archive_read_support_format_tar, (struct archive *a), (a))
POUR_ARCHIVE_FN(int, archive_read_open_filename, (struct archive *a, const char *path, size_t block), (a, path, block))
POUR_ARCHIVE_FN(int, archive_read_open, (struct archive *a, void *client, archive_open_callback *o, archive_read_callback *r, archive_close_callback *c), (a, client, o, r, c))
POUR_ARCHIVE_FN(int, archive_read_next_header, (struct archive *a, struct archive_entry **e), (a, e))
POUR_ARCHIVE_FN(int, archive_read_data_block, (struct archive *a, const void **b, size_t *s, la_int64_t *o), (a, b, s, o))
POUR_ARCHIVE_FN(const char *, archive_error_string, (struct archive *a), (a))
POUR_ARCHIVE_FN(const char *, archive_entry_pathname, (struct archive_entry *e), (e))
POUR_ARCHIVE_FN(const char *, archive_entry_hardlink, (struct archive_entry *e), (e))
POUR_ARCHIVE_FN(const char *, archive_entry_symlink, (struct archive_entry *e), (e))
POUR_ARCHIVE_FN(__LA_MODE_T, archive_entry_filetype, (struct archive_entry *e), (e))
POUR_ARCHIVE_FN(__LA_MODE_T, archive_entry_perm, (struct archive_entry *e), (e))
POUR_ARCHIVE_FN(la_int64_t, archive_entry_size, (struct archive_entry *e), (e))
POUR_ARCHIVE_FN(int, archive_entry_size_is_set, (struct archive_entry *e), (e))
POUR_ARCHIVE_FN(time_t, archive_entry_atime, (struct archive_entry *e), (e))
POUR_ARCHIVE_FN(long, archive_entry_atime_nsec, (struct archive_entry *e), (e))
POUR_ARCHIVE_FN(int, archive_entry_atime_is_set, (struct archive_entry *e), (e))
POUR_ARCHIVE_FN(time_t, archive_entry_mtime, (struct archive_entry *e), (e))
POUR_ARCHIVE_FN(long, archive_entry_mtime_nsec, (struct archive_entry *e), (e))
POUR_ARCHIVE_FN(int, archive_entry_mtime_is_set, (struct archive_entry *e), (e))
POUR_ARCHIVE_FN(int, archive_entry_birthtime_is_set, (struct archive_entry *e), (e))

#undef POUR_ARCHIVE_FN

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
