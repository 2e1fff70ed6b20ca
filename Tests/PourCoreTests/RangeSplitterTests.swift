import Foundation
@testable import PourCore
import XCTest

/// The splitter's choice (`RangeSplitter`): which download is asked to split when a slot is
/// spare, and when none is. The downloads here only count what they are asked; splitting itself
/// is tested against the server in `RangeSplitTests`.
final class RangeSplitterTests: XCTestCase {
    private final class Candidate: RangeSplittable, @unchecked Sendable {
        let asked = Locked(0)
        func splitLargestPart() { asked.withLock { $0 += 1 } }
    }

    private let policy = RangeSplitPolicy(minimumPartBytes: 100, minimumResponseMicroseconds: 4_000)

    func testTheCandidateWithTheMostBytesLeftIsAskedOnceUntilItReportsAgain() {
        let splitter = RangeSplitter(policy: policy)
        splitter.noteResponseTime(microseconds: 40_000)
        let small = Candidate(), large = Candidate()
        splitter.update(small, splittableBytes: 300)
        splitter.update(large, splittableBytes: 5_000)
        splitter.offerSpareSlot()
        XCTAssertEqual(large.asked.withLock { $0 }, 1)
        XCTAssertEqual(small.asked.withLock { $0 }, 0)
        // `large` is withdrawn until it reports again: the next spare slot goes to `small`.
        splitter.offerSpareSlot()
        XCTAssertEqual(small.asked.withLock { $0 }, 1)
        XCTAssertEqual(large.asked.withLock { $0 }, 1)
        splitter.offerSpareSlot()
        XCTAssertEqual(splitter.splitsAsked, 2, "nobody left to ask")
        splitter.update(large, splittableBytes: 2_500)
        splitter.offerSpareSlot()
        XCTAssertEqual(large.asked.withLock { $0 }, 2)
    }

    func testAPartTooSmallToHalveIsNoCandidate() {
        let splitter = RangeSplitter(policy: policy)
        splitter.noteResponseTime(microseconds: 40_000)
        let candidate = Candidate()
        splitter.update(candidate, splittableBytes: 199)  // halves would be below 100 bytes
        splitter.offerSpareSlot()
        XCTAssertEqual(candidate.asked.withLock { $0 }, 0)
        splitter.update(candidate, splittableBytes: 200)
        splitter.offerSpareSlot()
        XCTAssertEqual(candidate.asked.withLock { $0 }, 1)
    }

    func testNothingIsSplitBeforeTheLinkIsSeenToBeSlow() {
        let splitter = RangeSplitter(policy: policy)
        let candidate = Candidate()
        splitter.update(candidate, splittableBytes: 10_000)
        splitter.offerSpareSlot()  // no response seen yet
        splitter.noteResponseTime(microseconds: 3_999)
        splitter.offerSpareSlot()  // loopback-fast
        XCTAssertEqual(candidate.asked.withLock { $0 }, 0)
        // The shortest time counts: a slower answer later does not open the gate.
        splitter.noteResponseTime(microseconds: 50_000)
        splitter.offerSpareSlot()
        XCTAssertEqual(candidate.asked.withLock { $0 }, 0)
        let slow = RangeSplitter(policy: policy)
        slow.update(candidate, splittableBytes: 10_000)
        slow.noteResponseTime(microseconds: 4_000)
        slow.offerSpareSlot()
        XCTAssertEqual(candidate.asked.withLock { $0 }, 1)
    }

    func testWithdrawnAndDisabledMeanNeverAsked() {
        let splitter = RangeSplitter(policy: policy)
        splitter.noteResponseTime(microseconds: 40_000)
        let candidate = Candidate()
        splitter.update(candidate, splittableBytes: 10_000)
        splitter.withdraw(candidate)
        splitter.offerSpareSlot()
        XCTAssertEqual(candidate.asked.withLock { $0 }, 0)

        let off = RangeSplitter(policy: policy.applying(environment: ["POUR_RANGE_SPLIT": "0"]))
        off.noteResponseTime(microseconds: 40_000)
        off.update(candidate, splittableBytes: 10_000)
        off.offerSpareSlot()
        XCTAssertEqual(candidate.asked.withLock { $0 }, 0)
        XCTAssertTrue(policy.applying(environment: ["POUR_RANGE_SPLIT": "1"]).enabled)
        XCTAssertTrue(policy.applying(environment: [:]).enabled)
    }

    func testADownloadThatIsGoneIsNotAsked() {
        let splitter = RangeSplitter(policy: policy)
        splitter.noteResponseTime(microseconds: 40_000)
        do {
            let gone = Candidate()
            splitter.update(gone, splittableBytes: 10_000)
        }
        splitter.offerSpareSlot()
        XCTAssertEqual(splitter.splitsAsked, 0)
    }
}
