import Foundation

/// When a running download may be split into Range requests (`RangeSplitter`).
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct RangeSplitPolicy: Sendable, Equatable {
    /// Off: no download is ever split (`POUR_RANGE_SPLIT=0`).
    package var enabled: Bool
    /// The smallest part a split may create. A part costs a request and a redirect (2 round
    /// trips) and then a connection in slow start (from 10 segments, doubling per round trip),
    /// so on 100 Mbit/s and 40 ms a part of 512 KiB arrives in about the time the part it was cut
    /// from needs for the same bytes at a tail connection's 2–3 MB/s; below that a split only
    /// costs. With 2 MiB nothing was split in the deep closure: its last large bottle had < 4 MiB
    /// left when the first slot became spare (Docs/Performance.md, "Fifth pass").
    package var minimumPartBytes: Int64
    /// Split only where the shortest request-to-first-byte time seen is at least this long: on
    /// loopback or a LAN one connection already fills the link from its first round trip, and a
    /// split would only add a request (the same threshold as `WakeCoalescing`).
    package var minimumResponseMicroseconds: Int64

    package init(enabled: Bool = true, minimumPartBytes: Int64 = 512 << 10,
                 minimumResponseMicroseconds: Int64 = WakeCoalescing.minimumResponseMicroseconds) {
        self.enabled = enabled
        self.minimumPartBytes = max(1, minimumPartBytes)
        self.minimumResponseMicroseconds = max(0, minimumResponseMicroseconds)
    }

    /// Applies `POUR_RANGE_SPLIT=0` (off) from an environment over `self`.
    package func applying(environment: [String: String]) -> RangeSplitPolicy {
        var result = self
        if let value = environment["POUR_RANGE_SPLIT"], !value.isEmpty { result.enabled = value != "0" }
        return result
    }
}

/// A download that can give part of its remaining bytes to a second Range request.
package protocol RangeSplittable: AnyObject, Sendable {
    /// Split the part with the most bytes left into two, if it is still worth it (the download
    /// decides on its own queue; it may decline).
    func splitLargestPart()
}

/// Fills bulk slots that would otherwise stay empty at the end of a run with the second half of
/// the largest remaining download (issue 16, "the deep closure's tail").
///
/// Why: over HTTP/1.1 every transfer has a TCP connection of its own, and a connection that
/// shared the link with seven others has a congestion window sized for one eighth of it. When
/// the others finish, the last large bottles each crawl at their own window while the link
/// idles: ~0.5 s of a 20 s deep closure on 100 Mbit/s + 40 ms (Docs/Performance.md, "Deep closure
/// × cdn"). A Range request for the second half of such a bottle is a second connection that
/// ramps up beside it.
///
/// How: a download that may be split (`VerifiedDownload`: its server said `Accept-Ranges: bytes`,
/// the response was not multiplexed, its length is known) keeps its largest splittable part's
/// size here, updated as it progresses. When the bulk lane gives back a slot and no transfer waits
/// for one (`AdmissionLane`'s `onSpareSlot`), `offerSpareSlot` asks the candidate with the most
/// bytes left to split — only once the link is seen to be slow to answer (`RangeSplitPolicy`).
/// The candidate is withdrawn until it reports again, so two spare slots never ask it twice.
///
/// Confinement: all state is in one `Locked` box; every method may be called from any thread
/// (the downloads' queues, the sink queue that releases a slot, the I/O thread for the response
/// time). Hence `@unchecked Sendable`.
package final class RangeSplitter: @unchecked Sendable {
    package let policy: RangeSplitPolicy

    private struct Candidate {
        weak var download: (any RangeSplittable)?
        var splittableBytes: Int64
    }

    private struct State {
        var shortestResponseMicroseconds: Int64?
        var candidates: [ObjectIdentifier: Candidate] = [:]
        var splitsAsked = 0
    }

    private let state = Locked(State())

    package init(policy: RangeSplitPolicy) {
        self.policy = policy
    }

    /// How many splits were asked for so far (tests and benchmarks).
    package var splitsAsked: Int { state.withLock { $0.splitsAsked } }

    /// The engine's shortest request-to-first-byte time so far (I/O thread).
    func noteResponseTime(microseconds: Int64) {
        state.withLock { $0.shortestResponseMicroseconds = min($0.shortestResponseMicroseconds ?? microseconds, microseconds) }
    }

    /// `download`'s largest part has `bytes` left that a split could halve; 0 or less withdraws it.
    package func update(_ download: any RangeSplittable, splittableBytes bytes: Int64) {
        let id = ObjectIdentifier(download)
        state.withLock { state in
            if bytes >= 2 * policy.minimumPartBytes {
                state.candidates[id] = Candidate(download: download, splittableBytes: bytes)
            } else {
                state.candidates[id] = nil
            }
        }
    }

    /// `download` will not be split any more (finished, failed, or its server refused a range).
    package func withdraw(_ download: any RangeSplittable) {
        let id = ObjectIdentifier(download)
        state.withLock { _ = $0.candidates.removeValue(forKey: id) }
    }

    /// A bulk slot is free and nothing waits for it: ask the candidate with the most bytes left.
    package func offerSpareSlot() {
        guard policy.enabled else { return }
        let chosen: (any RangeSplittable)? = state.withLock { state in
            guard let response = state.shortestResponseMicroseconds, response >= policy.minimumResponseMicroseconds else { return nil }
            state.candidates = state.candidates.filter { $0.value.download != nil }
            guard let best = state.candidates.max(by: { $0.value.splittableBytes < $1.value.splittableBytes }) else { return nil }
            state.candidates[best.key] = nil
            state.splitsAsked += 1
            return best.value.download
        }
        chosen?.splitLargestPart()
    }
}
