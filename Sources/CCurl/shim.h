// libcurl for Swift, loaded on first use.
//
// Typed wrappers around libcurl's variadic setopt/getinfo calls, which Swift cannot call
// directly, and a `pour_`-prefixed wrapper for every other libcurl function pour calls. The
// library itself is not linked: it is dlopen'ed the first time a wrapper runs
// (`pour_curl_load`, called by LibraryBootstrap before any handle exists). Loading libcurl and
// its ~30 dependent libraries (TLS, GSSAPI, LDAP, SSH, IDN…) cost ~5.6 ms of CPU at every start,
// more than all the rest of `pour --version` (Docs/Performance.md, "Start-up"); search, info, deps
// and the other local commands never make a request, so they never pay it now.
//
// Thread-safety: `pour_curl_load` may run on any thread, concurrently (dlopen/dlsym are
// thread-safe; the handle and each resolved pointer are published with release/acquire atomics,
// so a racing second resolution just stores the same value again).
#ifndef POUR_CCURL_SHIM_H
#define POUR_CCURL_SHIM_H
#include <curl/curl.h>
#include <dlfcn.h>
#include <stddef.h>

#if defined(__APPLE__)
#define POUR_CURL_LIBRARY "libcurl.4.dylib"
#else
#define POUR_CURL_LIBRARY "libcurl.so.4"
#endif

static inline void *pour_curl_handle(void) {
    static void *handle;
    void *current = __atomic_load_n(&handle, __ATOMIC_ACQUIRE);
    if (current == NULL) {
        current = dlopen(POUR_CURL_LIBRARY, RTLD_NOW | RTLD_LOCAL);
        if (current != NULL) __atomic_store_n(&handle, current, __ATOMIC_RELEASE);
    }
    return current;
}

/// Loads libcurl; returns 1 when every function pour uses resolved, else 0 (`pour_curl_error`
/// then says why). Call before any other wrapper.
static inline int pour_curl_load(void);

/// dlerror() of the last failed load, or NULL.
static inline const char *pour_curl_error(void) { return dlerror(); }

static inline void *pour_curl_resolve(void **slot, const char *name) {
    void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (fn == NULL) {
        void *handle = pour_curl_handle();
        if (handle != NULL) fn = dlsym(handle, name);
        if (fn != NULL) __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
    }
    return fn;
}

// One resolved pointer per function; the wrapper has libcurl's exact signature.
#define POUR_CURL_SLOT(name) static void *slot; void *fn = pour_curl_resolve(&slot, #name)

static inline CURLcode pour_curl_global_init(long flags) {
    POUR_CURL_SLOT(curl_global_init);
    return ((CURLcode (*)(long))fn)(flags);
}
static inline CURLM *pour_curl_multi_init(void) {
    POUR_CURL_SLOT(curl_multi_init);
    return ((CURLM *(*)(void))fn)();
}
static inline CURLMcode pour_curl_multi_cleanup(CURLM *m) {
    POUR_CURL_SLOT(curl_multi_cleanup);
    return ((CURLMcode (*)(CURLM *))fn)(m);
}
static inline CURLMcode pour_curl_multi_add_handle(CURLM *m, CURL *h) {
    POUR_CURL_SLOT(curl_multi_add_handle);
    return ((CURLMcode (*)(CURLM *, CURL *))fn)(m, h);
}
static inline CURLMcode pour_curl_multi_remove_handle(CURLM *m, CURL *h) {
    POUR_CURL_SLOT(curl_multi_remove_handle);
    return ((CURLMcode (*)(CURLM *, CURL *))fn)(m, h);
}
static inline CURLMcode pour_curl_multi_perform(CURLM *m, int *running) {
    POUR_CURL_SLOT(curl_multi_perform);
    return ((CURLMcode (*)(CURLM *, int *))fn)(m, running);
}
static inline CURLMcode pour_curl_multi_poll(CURLM *m, struct curl_waitfd *extra, unsigned int count, int timeout_ms, int *numfds) {
    POUR_CURL_SLOT(curl_multi_poll);
    return ((CURLMcode (*)(CURLM *, struct curl_waitfd *, unsigned int, int, int *))fn)(m, extra, count, timeout_ms, numfds);
}
static inline CURLMcode pour_curl_multi_wakeup(CURLM *m) {
    POUR_CURL_SLOT(curl_multi_wakeup);
    return ((CURLMcode (*)(CURLM *))fn)(m);
}
static inline CURLMsg *pour_curl_multi_info_read(CURLM *m, int *remaining) {
    POUR_CURL_SLOT(curl_multi_info_read);
    return ((CURLMsg *(*)(CURLM *, int *))fn)(m, remaining);
}
static inline CURL *pour_curl_easy_init(void) {
    POUR_CURL_SLOT(curl_easy_init);
    return ((CURL *(*)(void))fn)();
}
static inline void pour_curl_easy_cleanup(CURL *h) {
    POUR_CURL_SLOT(curl_easy_cleanup);
    ((void (*)(CURL *))fn)(h);
}
static inline const char *pour_curl_easy_strerror(CURLcode code) {
    POUR_CURL_SLOT(curl_easy_strerror);
    return ((const char *(*)(CURLcode))fn)(code);
}
/// Blocking transfer on the calling thread: used only by PourTestSupport's tool client
/// (`pour-registry push`), never by pour's transfer engine.
static inline CURLcode pour_curl_easy_perform(CURL *h) {
    POUR_CURL_SLOT(curl_easy_perform);
    return fn == NULL ? CURLE_FAILED_INIT : ((CURLcode (*)(CURL *))fn)(h);
}
static inline struct curl_slist *pour_curl_slist_append(struct curl_slist *list, const char *value) {
    POUR_CURL_SLOT(curl_slist_append);
    return ((struct curl_slist *(*)(struct curl_slist *, const char *))fn)(list, value);
}
static inline void pour_curl_slist_free_all(struct curl_slist *list) {
    POUR_CURL_SLOT(curl_slist_free_all);
    ((void (*)(struct curl_slist *))fn)(list);
}

// The variadic ones are called through a variadic pointer type (the C calling convention of
// curl_easy_setopt/getinfo/multi_setopt), with one typed argument each.
typedef CURLcode (*pour_curl_easy_variadic)(CURL *, int, ...);
typedef CURLMcode (*pour_curl_multi_variadic)(CURLM *, int, ...);

static inline CURLcode pour_easy_setopt_long(CURL *h, CURLoption o, long v) {
    POUR_CURL_SLOT(curl_easy_setopt);
    return ((pour_curl_easy_variadic)fn)(h, (int)o, v);
}
static inline CURLcode pour_easy_setopt_ptr(CURL *h, CURLoption o, void *v) {
    POUR_CURL_SLOT(curl_easy_setopt);
    return ((pour_curl_easy_variadic)fn)(h, (int)o, v);
}
static inline CURLcode pour_easy_setopt_string(CURL *h, CURLoption o, const char *v) {
    POUR_CURL_SLOT(curl_easy_setopt);
    return ((pour_curl_easy_variadic)fn)(h, (int)o, v);
}
static inline CURLcode pour_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) {
    POUR_CURL_SLOT(curl_easy_setopt);
    return ((pour_curl_easy_variadic)fn)(h, (int)o, v);
}
static inline CURLcode pour_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) {
    POUR_CURL_SLOT(curl_easy_setopt);
    return ((pour_curl_easy_variadic)fn)(h, (int)o, v);
}

typedef size_t (*pour_write_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
static inline CURLcode pour_easy_setopt_write(CURL *h, CURLoption o, pour_write_callback f) {
    POUR_CURL_SLOT(curl_easy_setopt);
    return ((pour_curl_easy_variadic)fn)(h, (int)o, f);
}

typedef int (*pour_xferinfo_callback)(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);
static inline CURLcode pour_easy_setopt_xferinfo(CURL *h, CURLoption o, pour_xferinfo_callback f) {
    POUR_CURL_SLOT(curl_easy_setopt);
    return ((pour_curl_easy_variadic)fn)(h, (int)o, f);
}

static inline CURLcode pour_easy_getinfo_long(CURL *h, CURLINFO i, long *v) {
    POUR_CURL_SLOT(curl_easy_getinfo);
    return ((pour_curl_easy_variadic)fn)(h, (int)i, v);
}
static inline CURLcode pour_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) {
    POUR_CURL_SLOT(curl_easy_getinfo);
    return ((pour_curl_easy_variadic)fn)(h, (int)i, v);
}
static inline CURLcode pour_easy_getinfo_string(CURL *h, CURLINFO i, char **v) {
    POUR_CURL_SLOT(curl_easy_getinfo);
    return ((pour_curl_easy_variadic)fn)(h, (int)i, v);
}
static inline CURLcode pour_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v) {
    POUR_CURL_SLOT(curl_easy_getinfo);
    return ((pour_curl_easy_variadic)fn)(h, (int)i, v);
}

static inline CURLMcode pour_multi_setopt_long(CURLM *m, CURLMoption o, long v) {
    POUR_CURL_SLOT(curl_multi_setopt);
    return ((pour_curl_multi_variadic)fn)(m, (int)o, v);
}

/// CURLPAUSE_CONT is a composite macro; resume a paused transfer (I/O thread only).
static inline CURLcode pour_easy_unpause(CURL *h) {
    POUR_CURL_SLOT(curl_easy_pause);
    return ((CURLcode (*)(CURL *, int))fn)(h, CURLPAUSE_CONT);
}
/// The magic return value of a write callback that pauses the transfer.
static inline size_t pour_writefunc_pause(void) { return CURL_WRITEFUNC_PAUSE; }

/// CURLVERSION_NOW is a macro alias that does not import into Swift.
static inline const curl_version_info_data *pour_curl_version_info(void) {
    POUR_CURL_SLOT(curl_version_info);
    return fn == NULL ? NULL : ((const curl_version_info_data *(*)(CURLversion))fn)(CURLVERSION_NOW);
}

/// CURLMsg.data is a union; expose the result code.
static inline CURLcode pour_curlmsg_result(CURLMsg *m) { return m->data.result; }

// libcurl's URL API (URLPolicy parses every URL with it).
static inline CURLU *pour_curl_url(void) {
    POUR_CURL_SLOT(curl_url);
    return ((CURLU *(*)(void))fn)();
}
static inline void pour_curl_url_cleanup(CURLU *u) {
    POUR_CURL_SLOT(curl_url_cleanup);
    ((void (*)(CURLU *))fn)(u);
}
static inline CURLUcode pour_curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags) {
    POUR_CURL_SLOT(curl_url_set);
    return ((CURLUcode (*)(CURLU *, CURLUPart, const char *, unsigned int))fn)(u, what, part, flags);
}
static inline CURLUcode pour_curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags) {
    POUR_CURL_SLOT(curl_url_get);
    return ((CURLUcode (*)(CURLU *, CURLUPart, char **, unsigned int))fn)(u, what, part, flags);
}
static inline void pour_curl_free(void *p) {
    POUR_CURL_SLOT(curl_free);
    ((void (*)(void *))fn)(p);
}

static inline int pour_curl_load(void) {
    static const char *const names[] = {
        "curl_global_init", "curl_multi_init", "curl_multi_cleanup", "curl_multi_add_handle",
        "curl_multi_remove_handle", "curl_multi_perform", "curl_multi_poll", "curl_multi_wakeup",
        "curl_multi_info_read", "curl_multi_setopt", "curl_easy_init", "curl_easy_cleanup",
        "curl_easy_strerror", "curl_easy_setopt", "curl_easy_getinfo", "curl_easy_pause",
        "curl_slist_append", "curl_slist_free_all", "curl_version_info",
        "curl_url", "curl_url_cleanup", "curl_url_set", "curl_url_get", "curl_free",
    };
    void *handle = pour_curl_handle();
    if (handle == NULL) return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (dlsym(handle, names[i]) == NULL) return 0;
    }
    return 1;
}

#undef POUR_CURL_SLOT
#endif
