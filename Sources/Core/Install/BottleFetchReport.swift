/// What `Installer.fetch` (`pour fetch`) did: one entry per bottle asked for.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct BottleFetchReport: Sendable, Equatable {
    /// What became of one bottle.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package enum Outcome: Sendable, Equatable {
        /// Downloaded and verified in this run (`bytes` crossed the network).
        case downloaded(bytes: Int64)
        /// Already in the cache; re-hashed and found intact.
        case cached
        case failed(String)
        /// Not attempted (cancelled).
        case skipped(String)
    }

    /// One bottle of the run.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Item: Sendable, Equatable {
        package var name: String
        package var pkgVersion: String
        package var requested: Bool
        /// Where the verified bottle is (or would be) in the download cache.
        package var path: String
        package var outcome: Outcome
    }

    package var items: [Item]
    package var cancelled: Bool

    package var networkBytes: Int64 {
        items.reduce(0) { total, item in
            if case .downloaded(let bytes) = item.outcome { return total + bytes }
            return total
        }
    }
    package var succeeded: Bool {
        !cancelled && items.allSatisfy { item in
            switch item.outcome {
            case .downloaded, .cached: return true
            case .failed, .skipped: return false
            }
        }
    }
}
