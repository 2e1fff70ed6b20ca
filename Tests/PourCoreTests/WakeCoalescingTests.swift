@testable import PourCore
import XCTest

/// The I/O thread's pause between rounds on a slow link (`WakeCoalescing`): only when a round
/// brought little and the link is slow to answer, and never longer than a twentieth of the
/// shortest answer time (so a request/response exchange waits at most ~5 % longer) or 2 ms.
final class WakeCoalescingTests: XCTestCase {
    func testNoPauseBeforeAnyAnswerWasTimed() {
        XCTAssertEqual(WakeCoalescing.delayMicroseconds(roundBytes: 0, shortestResponseMicroseconds: nil), 0)
    }

    func testLoopbackAndLANNeverPause() {
        // 60 µs (loopback) and 1.5 ms (a LAN, or a CDN edge next door).
        XCTAssertEqual(WakeCoalescing.delayMicroseconds(roundBytes: 1448, shortestResponseMicroseconds: 60), 0)
        XCTAssertEqual(WakeCoalescing.delayMicroseconds(roundBytes: 1448, shortestResponseMicroseconds: 1_500), 0)
    }

    func testASlowLinkPausesATwentiethOfItsAnswerTimeUpTo2ms() {
        XCTAssertEqual(WakeCoalescing.delayMicroseconds(roundBytes: 1448, shortestResponseMicroseconds: 10_000), 500)
        XCTAssertEqual(WakeCoalescing.delayMicroseconds(roundBytes: 1448, shortestResponseMicroseconds: 40_000), 2_000)
        XCTAssertEqual(WakeCoalescing.delayMicroseconds(roundBytes: 1448, shortestResponseMicroseconds: 300_000), 2_000)
    }

    func testAFullRoundDoesNotPause() {
        // A round that already brought 64 KiB is what the pause is for; pausing it would only
        // let the socket buffers fill.
        XCTAssertEqual(WakeCoalescing.delayMicroseconds(roundBytes: 64 << 10, shortestResponseMicroseconds: 40_000), 0)
        XCTAssertEqual(WakeCoalescing.delayMicroseconds(roundBytes: (64 << 10) - 1, shortestResponseMicroseconds: 40_000), 2_000)
    }
}
