// Typed wrappers around libcurl's variadic setopt/getinfo calls, which Swift cannot call directly.
#ifndef POUR_CCURL_SHIM_H
#define POUR_CCURL_SHIM_H
#include <curl/curl.h>

static inline CURLcode pour_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode pour_easy_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode pour_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode pour_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode pour_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }

typedef size_t (*pour_write_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
static inline CURLcode pour_easy_setopt_write(CURL *h, CURLoption o, pour_write_callback f) { return curl_easy_setopt(h, o, f); }

typedef int (*pour_xferinfo_callback)(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);
static inline CURLcode pour_easy_setopt_xferinfo(CURL *h, CURLoption o, pour_xferinfo_callback f) { return curl_easy_setopt(h, o, f); }

static inline CURLcode pour_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode pour_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode pour_easy_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode pour_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }

static inline CURLMcode pour_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

/// CURLPAUSE_CONT is a composite macro; resume a paused transfer (I/O thread only).
static inline CURLcode pour_easy_unpause(CURL *h) { return curl_easy_pause(h, CURLPAUSE_CONT); }
/// The magic return value of a write callback that pauses the transfer.
static inline size_t pour_writefunc_pause(void) { return CURL_WRITEFUNC_PAUSE; }

/// CURLVERSION_NOW is a macro alias that does not import into Swift.
static inline const curl_version_info_data *pour_curl_version_info(void) { return curl_version_info(CURLVERSION_NOW); }

/// CURLMsg.data is a union; expose the result code.
static inline CURLcode pour_curlmsg_result(CURLMsg *m) { return m->data.result; }

#endif
