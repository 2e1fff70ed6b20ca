import Dispatch
import PourCore

/// A token bucket expressed as "the earliest time the next byte may leave": each send reserves
/// its bytes and is told how long to wait first. One limiter is shared by every connection for
/// the aggregate cap; each connection (and each trickle fault) has its own.
///
/// Thread-safe: the schedule lives in a `Locked` box.
package final class RateLimiter: Sendable {
    /// Bytes per second.
    package let rate: Int
    /// Idle credit that may be spent at once, so a short pause does not lose throughput but the
    /// long-run rate stays exact.
    private let burstNanoseconds: UInt64
    private let nextFree = Locked<UInt64>(0)

    package init(bytesPerSecond: Int, burstSeconds: Double = 0.02) {
        rate = max(1, bytesPerSecond)
        burstNanoseconds = UInt64(max(0, burstSeconds) * 1e9)
    }

    /// Reserves `bytes` and returns how many nanoseconds the caller must wait before sending them.
    package func reserve(_ bytes: Int) -> UInt64 {
        let now = DispatchTime.now().uptimeNanoseconds
        let cost = UInt64((Double(bytes) / Double(rate)) * 1e9)
        return nextFree.withLock { next -> UInt64 in
            let earliest = now > burstNanoseconds ? now - burstNanoseconds : 0
            if next < earliest { next = earliest }
            let start = next
            next += cost
            return start > now ? start - now : 0
        }
    }

    /// A chunk size that keeps the schedule smooth: about 20 ms of data at this rate.
    package var suggestedChunk: Int { max(1024, rate / 50) }
}
