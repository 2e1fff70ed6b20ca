import Foundation

/// Gives the free pages inside the C heap back to the kernel (glibc's `malloc_trim(0)`).
///
/// An install's heap peaks early (every download and transfer of the plan exists at once) and
/// then shrinks as packages finish, but the freed memory stays resident in each malloc arena:
/// at the end of 1,000 small bottles ~9 MB of the ~14 MB the arenas held was free. The report,
/// the summary and the teardown then allocate on top of that, which made the end of the run its
/// RSS peak. Released once, when every package has an outcome (`InstallRun.finishRun`), the
/// end stays below the run's early peak (Docs/Performance.md, "Fourth pass: RSS"). One call
/// per run: it walks the arenas' free chunks (~1 ms at that size).
///
/// Thread-safe (glibc locks each arena in turn). A no-op where the C library has no
/// `malloc_trim` (it is looked up, not linked).
package enum FreePages {
    private typealias MallocTrim = @convention(c) (Int) -> Int32
    private static let trim: MallocTrim? = dlsym(nil, "malloc_trim").map { unsafeBitCast($0, to: MallocTrim.self) }

    package static func release() { _ = trim?(0) }
}
