import Dispatch
import Foundation

/// Turns SIGINT/SIGTERM into a clean cancellation: the first signal calls `onFirst`; a second one
/// exits at once with status 128 + signal.
///
/// Confinement: the dispatch sources and `received` live on `queue` (serial).
final class SignalTrap: @unchecked Sendable {
    private let queue = DispatchQueue(label: "pour.signals")
    private var sources: [DispatchSourceSignal] = []
    private var received: Int32?

    /// The first signal received, if any (read after the run has completed).
    var firstSignal: Int32? { queue.sync { received } }

    init(onFirst: @escaping @Sendable (Int32) -> Void) {
        for number in [SIGINT, SIGTERM] {
            // The default action would kill the process before we can clean up.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [unowned self] in
                if received != nil { _exit(128 + number) }
                received = number
                onFirst(number)
            }
            source.resume()
            sources.append(source)
        }
    }
}
