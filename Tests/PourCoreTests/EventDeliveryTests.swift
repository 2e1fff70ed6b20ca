import Foundation
@testable import PourCore
import XCTest

/// `EventDelivery`: events sent from many queues reach the callback queue in the order they were
/// sent, and `finish`'s block runs after every one of them even while a coalesced drain is still
/// waiting for its deadline.
final class EventDeliveryTests: XCTestCase {
    /// Eight queues send 4,000 numbered events at once; the numbers are taken under the same lock
    /// as the `send`, so the send order is 1, 2, 3… and the delivery must be too.
    func testABurstFromSeveralQueuesArrivesInSendOrderAndTheCompletionLast() {
        let queue = DispatchQueue(label: "test.event-delivery")
        let delivered = Locked<[Int]>([])
        let delivery = EventDelivery<Int>(queue: queue) { number in
            dispatchPrecondition(condition: .onQueue(queue))
            delivered.withLock { $0.append(number) }
        }
        let ticket = Locked(0)
        let senders = DispatchGroup()
        for sender in 0..<8 {
            DispatchQueue(label: "test.sender.\(sender)").async(group: senders) {
                for _ in 0..<500 {
                    ticket.withLock { number in
                        number += 1
                        delivery.send(number)
                    }
                }
            }
        }
        senders.wait()
        let done = expectation(description: "completion")
        let seenAtCompletion = Locked<[Int]?>(nil)
        delivery.finish {
            dispatchPrecondition(condition: .onQueue(queue))
            seenAtCompletion.withLock { $0 = delivered.current }
            done.fulfill()
        }
        wait(for: [done], timeout: 60)
        XCTAssertEqual(seenAtCompletion.current, Array(1...4000), "every event, in send order, before the completion")
    }

    /// With a drain that would wait an hour, only `finish` can deliver the events: its block must
    /// still see all of them first (without the flush in `finish`, it sees none).
    func testFinishDeliversEveryPendingEventBeforeItsBlock() {
        let queue = DispatchQueue(label: "test.event-delivery.flush")
        let delivered = Locked<[String]>([])
        let delivery = EventDelivery<String>(queue: queue, coalescing: .seconds(3600)) { event in
            delivered.withLock { $0.append(event) }
        }
        let senders = DispatchGroup()
        for sender in 0..<4 {
            DispatchQueue.global().async(group: senders) {
                for index in 0..<25 { delivery.send("\(sender).\(index)") }
            }
        }
        senders.wait()
        let done = expectation(description: "completion")
        delivery.finish {
            delivered.withLock { $0.append("completion") }
            done.fulfill()
        }
        delivery.send("after the completion")
        wait(for: [done], timeout: 60)
        queue.sync {}  // anything queued behind the completion has run
        let events = delivered.current
        XCTAssertEqual(events.count, 101)
        XCTAssertEqual(events.last, "completion", "the completion comes after every event")
        for sender in 0..<4 {
            XCTAssertEqual(events.filter { $0.hasPrefix("\(sender).") }, (0..<25).map { "\(sender).\($0)" },
                           "each sender's events in its order")
        }
    }
}
