import Foundation

/// How many malloc arenas the `pour` process may use: three per active core, set once at
/// start-up, before any thread exists.
///
/// glibc gives each thread that allocates an arena of its own, up to eight per core (16 on two
/// cores), and every arena keeps its own high-water mark: an install runs 13–15 threads (the
/// run, metadata and link queues, the I/O thread, sink and extraction workers), so its resident
/// heap is the sum of a dozen separate peaks, not the peak of the whole. Three arenas per core
/// still leaves each core's running thread arenas to itself most of the time, so no thread waits
/// for an arena lock on a loaded machine (measured on two cores: two arenas made installs 4–25 %
/// slower in wall time, four 5–8 %; six: −0.4 to −1.7 MB peak RSS on 1,000 small bottles, CPU
/// within 0–2.5 % — the noise of that machine; Docs/Performance.md, "Fourth pass: RSS").
///
/// A user's own `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES` is left alone. Only the CLI sets this:
/// an embedder's process is its own to tune.
enum MallocArenas {
    /// glibc's `M_ARENA_MAX` (`<malloc.h>`).
    private static let arenaMaxParameter: Int32 = -8

    static func limitPerCore(_ perCore: Int = 3) {
        // `getenv` and `sysconf`, not `ProcessInfo`: at this point Foundation's process-info
        // machinery is not yet needed, and touching it first here cost ~0.8 MB of its pages.
        guard getenv("MALLOC_ARENA_MAX") == nil, getenv("GLIBC_TUNABLES") == nil else { return }
        // Looked up rather than declared: `mallopt` is glibc's, absent from other C libraries.
        // A nil handle is RTLD_DEFAULT; `dlopen(nil, RTLD_NOW)` would bind every lazy symbol of
        // the executable first (measured: +0.6 MB of file pages).
        guard let symbol = dlsym(nil, "mallopt") else { return }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        _ = mallopt(arenaMaxParameter, Int32(clamping: perCore * cores))
    }
}
