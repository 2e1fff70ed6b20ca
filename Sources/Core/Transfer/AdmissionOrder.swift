/// The waiting transfers of one `AdmissionLane`, ordered two ways: highest priority first (FIFO
/// among equals) for the main slots, and smallest known-small first (FIFO among equals) for the
/// small-transfer slots.
///
/// Why heaps: the lane used to scan every waiting transfer, taking each one's lock, on every
/// admission; with 1,000 tiny bottles waiting that was O(n²) lock round trips per run (1.6 % of a
/// many-small install, Docs/Performance.md "third pass"). Each order is a binary heap with lazy
/// deletion: changing a key pushes a new heap entry and leaves the old one, which is recognised as
/// stale (its key no longer matches the item's, or the item was taken) and dropped when it
/// surfaces. So `insert`, `setPriority`, `setSmallBytes` and both `pop`s are O(log n) amortised.
///
/// "FIFO among equals" means insertion order, whatever keys changed since: the old scan kept
/// transfers in arrival order and picked the first best one.
///
/// Confinement: a value type with no locking of its own; `AdmissionLane` keeps it in a `Locked`.
struct AdmissionOrder<Item> {
    private struct Entry {
        let item: Item
        let sequence: Int
        var priority: Int64
        /// The expected length when it qualifies for a small slot, else nil.
        var smallBytes: Int64?
    }

    /// A heap entry: `key` higher first, then `sequence` lower first.
    private struct Ranked {
        let key: Int64
        let sequence: Int
        let id: ObjectIdentifier

        func precedes(_ other: Ranked) -> Bool {
            key != other.key ? key > other.key : sequence < other.sequence
        }
    }

    private var entries: [ObjectIdentifier: Entry] = [:]
    private var byPriority: [Ranked] = []
    /// Keyed by `-smallBytes`, so the smallest comes first.
    private var bySize: [Ranked] = []
    private var nextSequence = 0

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    func contains(_ id: ObjectIdentifier) -> Bool { entries[id] != nil }

    /// Adds a waiting item (an `id` not already waiting).
    mutating func insert(_ item: Item, id: ObjectIdentifier, priority: Int64, smallBytes: Int64?) {
        guard entries[id] == nil else { return }
        let sequence = nextSequence
        nextSequence += 1
        entries[id] = Entry(item: item, sequence: sequence, priority: priority, smallBytes: smallBytes)
        Self.push(Ranked(key: priority, sequence: sequence, id: id), into: &byPriority)
        if let smallBytes { Self.push(Ranked(key: -smallBytes, sequence: sequence, id: id), into: &bySize) }
    }

    /// Changes a waiting item's priority (no effect once it was taken).
    mutating func setPriority(of id: ObjectIdentifier, to priority: Int64) {
        guard let entry = entries[id], entry.priority != priority else { return }
        entries[id]?.priority = priority
        Self.push(Ranked(key: priority, sequence: entry.sequence, id: id), into: &byPriority)
    }

    /// Records whether a waiting item qualifies for a small slot, and with which length.
    mutating func setSmallBytes(of id: ObjectIdentifier, to smallBytes: Int64?) {
        guard let entry = entries[id], entry.smallBytes != smallBytes else { return }
        entries[id]?.smallBytes = smallBytes
        if let smallBytes { Self.push(Ranked(key: -smallBytes, sequence: entry.sequence, id: id), into: &bySize) }
    }

    /// Removes and returns the highest-priority item (the earliest inserted among equals).
    mutating func popHighestPriority() -> Item? {
        while let top = Self.pop(&byPriority) {
            guard let entry = entries[top.id], entry.sequence == top.sequence, entry.priority == top.key else { continue }
            entries[top.id] = nil
            return entry.item
        }
        return nil
    }

    /// Removes and returns the smallest small-slot item (the earliest inserted among equals), if any.
    mutating func popSmallest() -> Item? {
        while let top = Self.pop(&bySize) {
            guard let entry = entries[top.id], entry.sequence == top.sequence, let bytes = entry.smallBytes,
                  -bytes == top.key else { continue }
            entries[top.id] = nil
            return entry.item
        }
        return nil
    }

    // MARK: - Binary heap over an array (the root precedes both children)

    private static func push(_ element: Ranked, into heap: inout [Ranked]) {
        heap.append(element)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func pop(_ heap: inout [Ranked]) -> Ranked? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var first = parent
            if left < heap.count, heap[left].precedes(heap[first]) { first = left }
            if right < heap.count, heap[right].precedes(heap[first]) { first = right }
            guard first != parent else { break }
            heap.swapAt(parent, first)
            parent = first
        }
        return top
    }
}
