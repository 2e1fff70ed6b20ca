/// How long the I/O thread lets a slow link's packets pile up before its next
/// `curl_multi_perform` round (issue 16 item 4, CPU per byte on slow links).
///
/// Why: on a 100 Mbit/s, 40 ms link the I/O thread woke once per TCP segment or two — about
/// 119,000 wake-ups to receive a 230 MB closure, ~1.9 KB each (`perf record -e
/// sched:sched_switch`, Docs/Performance.md "Wake-ups on a slow link") — and every wake-up pays
/// `poll` over every socket and a `curl_multi_perform` over every handle. The bytes are not late
/// if they wait a little: the kernel has already acknowledged them and keeps them in the socket
/// buffer, so a short pause before the next round turns many small rounds into one.
///
/// The pause applies only when both hold:
/// - the round just performed brought little (< `smallRoundBytes`): a fast link fills rounds by
///   itself, and pausing it would only let socket buffers fill;
/// - the link is slow to answer: the shortest request-to-first-byte time seen so far is at least
///   `minimumResponseMicroseconds`. The pause is a `1/responseFraction` of it, at most
///   `maximumMicroseconds`, so a request/response exchange (metadata, redirects, small bottles)
///   waits at most ~5 % longer, and loopback or a LAN (sub-millisecond answers) never pauses.
///
/// Stateless; the engine's I/O thread supplies the inputs.
enum WakeCoalescing {
    static let smallRoundBytes = 64 << 10
    static let minimumResponseMicroseconds: Int64 = 4_000
    static let responseFraction: Int64 = 20
    static let maximumMicroseconds: Int64 = 2_000

    /// The pause before the next round, in microseconds (0: none).
    static func delayMicroseconds(roundBytes: Int, shortestResponseMicroseconds: Int64?) -> UInt32 {
        guard roundBytes < smallRoundBytes, let response = shortestResponseMicroseconds,
              response >= minimumResponseMicroseconds else { return 0 }
        return UInt32(min(response / responseFraction, maximumMicroseconds))
    }
}
