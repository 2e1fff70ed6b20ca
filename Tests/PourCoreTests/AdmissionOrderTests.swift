import XCTest
@testable import PourCore

/// `AdmissionOrder`, the transfer lane's waiting set (two lazy-deletion heaps): it must pick
/// exactly what the linear scan it replaced picked — highest priority first for a main slot,
/// smallest known-small first for a small slot, the earliest inserted among equals — through
/// priority and size changes.
final class AdmissionOrderTests: XCTestCase {
    /// Stands for a waiting transfer: its identity keys the order.
    private final class Waiter {
        let name: String
        init(_ name: String) { self.name = name }
    }

    func testHighestPriorityFirstAndInsertionOrderAmongEquals() {
        var order = AdmissionOrder<Waiter>()
        let waiters = ["a", "b", "c", "d", "e"].map(Waiter.init)
        for (waiter, priority) in zip(waiters, [Int64(1), 5, 1, 5, 3]) {
            order.insert(waiter, id: ObjectIdentifier(waiter), priority: priority, smallBytes: nil)
        }
        var taken: [String] = []
        while let next = order.popHighestPriority() { taken.append(next.name) }
        XCTAssertEqual(taken, ["b", "d", "e", "a", "c"])
        XCTAssertTrue(order.isEmpty)
    }

    func testPriorityChangedWhileWaitingReordersButKeepsArrivalOrderAmongEquals() {
        var order = AdmissionOrder<Waiter>()
        let waiters = ["a", "b", "c", "d"].map(Waiter.init)
        for waiter in waiters { order.insert(waiter, id: ObjectIdentifier(waiter), priority: 0, smallBytes: nil) }
        // A manifest arrives for c and then for a, both with the same size: a arrived first.
        order.setPriority(of: ObjectIdentifier(waiters[2]), to: 9)
        order.setPriority(of: ObjectIdentifier(waiters[0]), to: 9)
        // d goes up and back down: its stale high entry must not admit it early.
        order.setPriority(of: ObjectIdentifier(waiters[3]), to: 50)
        order.setPriority(of: ObjectIdentifier(waiters[3]), to: 0)
        var taken: [String] = []
        while let next = order.popHighestPriority() { taken.append(next.name) }
        XCTAssertEqual(taken, ["a", "c", "b", "d"])
    }

    func testSmallSlotsTakeTheSmallestKnownSmallAndNeverTwice() {
        var order = AdmissionOrder<Waiter>()
        let waiters = ["big", "s30", "unknown", "s10", "s10b"].map(Waiter.init)
        let sizes: [Int64?] = [nil, 30, nil, 10, 10]
        for (waiter, size) in zip(waiters, sizes) {
            order.insert(waiter, id: ObjectIdentifier(waiter), priority: size ?? 1000, smallBytes: size)
        }
        XCTAssertEqual(order.popSmallest()?.name, "s10")
        // Taken by a main slot: gone from the small order too.
        order.setPriority(of: ObjectIdentifier(waiters[4]), to: 5000)
        XCTAssertEqual(order.popHighestPriority()?.name, "s10b")
        // A size learnt while waiting (20 bytes) makes "unknown" the smallest.
        order.setSmallBytes(of: ObjectIdentifier(waiters[2]), to: 20)
        XCTAssertEqual(order.popSmallest()?.name, "unknown")
        XCTAssertEqual(order.popSmallest()?.name, "s30")
        XCTAssertNil(order.popSmallest(), "big was never known-small")
        XCTAssertEqual(order.popHighestPriority()?.name, "big")
        XCTAssertNil(order.popHighestPriority())
        XCTAssertEqual(order.count, 0)
    }

    /// Random operations against the linear scan the lane used before (first best in arrival
    /// order): every pop must return the same waiter.
    func testMatchesTheLinearScanUnderRandomOperations() {
        var random = SplitMix64(state: 16)  // ElfTestSupportTests' generator
        var order = AdmissionOrder<Waiter>()
        var reference: [(waiter: Waiter, priority: Int64, small: Int64?)] = []
        var created = 0
        for _ in 0..<5_000 {
            switch random.next() % 6 {
            case 0, 1:
                let waiter = Waiter("w\(created)")
                created += 1
                let priority = Int64(random.next() % 8)
                let small: Int64? = random.next() % 2 == 0 ? Int64(random.next() % 5) : nil
                order.insert(waiter, id: ObjectIdentifier(waiter), priority: priority, smallBytes: small)
                reference.append((waiter, priority, small))
            case 2 where !reference.isEmpty:
                let index = Int(random.next() % UInt64(reference.count))
                let priority = Int64(random.next() % 8)
                reference[index].priority = priority
                order.setPriority(of: ObjectIdentifier(reference[index].waiter), to: priority)
            case 3 where !reference.isEmpty:
                let index = Int(random.next() % UInt64(reference.count))
                let small: Int64? = random.next() % 3 == 0 ? nil : Int64(random.next() % 5)
                reference[index].small = small
                order.setSmallBytes(of: ObjectIdentifier(reference[index].waiter), to: small)
            case 4:
                var best: Int?
                for index in reference.indices where best == nil || reference[index].priority > reference[best!].priority {
                    best = index
                }
                let expected = best.map { reference.remove(at: $0).waiter.name }
                XCTAssertEqual(order.popHighestPriority()?.name, expected)
            default:
                var best: Int?
                for index in reference.indices {
                    guard let small = reference[index].small else { continue }
                    if best == nil || small < reference[best!].small! { best = index }
                }
                let expected = best.map { reference.remove(at: $0).waiter.name }
                XCTAssertEqual(order.popSmallest()?.name, expected)
            }
            XCTAssertEqual(order.count, reference.count)
        }
    }
}
