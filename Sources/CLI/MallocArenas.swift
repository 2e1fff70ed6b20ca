#if canImport(Glibc)
import CMalloc
import Glibc
#endif

/// Caps glibc's malloc arenas for the `pour` process (Linux only; the CLI's choice, never
/// PourCore's: an embedder's process is its own).
///
/// glibc gives a thread that meets contention on an arena an arena of its own, up to 8 per core
/// (16 on 2 cores), and an arena keeps its own high-water mark of touched pages: an install's
/// dispatch worker threads (transfer sinks, extractions, activation) each allocate and free in
/// their own arenas, so the process held the sum of every arena's peak, not the peak of what was
/// live. Measured with 1,000 small bottles on 2 cores: ~18 MB of anonymous memory with
/// `MALLOC_ARENA_MAX=2` against ~23 MB by default, at the same speed (Docs/Performance.md, "Third
/// pass: RSS"). One arena per core (2 at least, 8 at most) keeps malloc's lock uncontended for
/// the threads that can actually run at once. A `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES` in the
/// environment is the user's choice and is left alone.
enum MallocArenas {
    static func limit() {
        #if canImport(Glibc)
        guard getenv("MALLOC_ARENA_MAX") == nil, getenv("GLIBC_TUNABLES") == nil else { return }
        let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        _ = mallopt(M_ARENA_MAX, Int32(max(2, min(cores, 8))))
        #endif
    }
}
