import Dispatch
import Foundation

/// Turns SIGINT/SIGTERM into a clean cancellation: the first signal calls the action given to
/// `arm`; a second one exits at once with status 128 + signal.
///
/// `shared` is created at process start for the cancellable commands (`Pour.main`), before any
/// work, so a signal that arrives while the process starts or the run is being set up is not
/// lost to the default action (which would kill the process with nothing cleaned up): it is
/// remembered and the action runs as soon as it is armed.
///
/// Confinement: the dispatch sources, `received` and `action` live on `queue` (serial).
final class SignalTrap: @unchecked Sendable {
    private let queue = DispatchQueue(label: "pour.signals")
    private var sources: [DispatchSourceSignal] = []
    private var received: Int32?
    private var action: (@Sendable (Int32) -> Void)?

    /// The process-wide trap (created on first use; `Pour.main` creates it first thing).
    static let shared = SignalTrap()

    /// The first signal received, if any (read after the run has completed).
    var firstSignal: Int32? { queue.sync { received } }

    private init() {
        // Blocked, not ignored: the kernel discards a signal whose action is SIG_IGN the moment it
        // is sent, and the dispatch sources below are registered asynchronously (libdispatch's
        // manager thread installs their signalfd a little later), so a Ctrl-C in that window
        // used to vanish — the run never heard of it, and a run waiting on a silent server hung
        // with the main thread in `InstallSession`'s wait (the same applies when the parent
        // started pour with SIGINT ignored, as a shell does for `&` jobs). A blocked signal stays
        // pending until the signalfd reads it, however early it came. Blocked here, on the main
        // thread before pour starts any thread, so every thread created later inherits the mask
        // (libdispatch's workers block all signals themselves); pour spawns no child processes,
        // which would inherit it too.
        var blocked = sigset_t()
        sigemptyset(&blocked)
        for number in [SIGINT, SIGTERM] { sigaddset(&blocked, number) }
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        for number in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [unowned self] in
                if received != nil { _exit(128 + number) }
                received = number
                action?(number)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Sets what the first signal does; runs it at once if a signal already arrived.
    func arm(_ onFirst: @escaping @Sendable (Int32) -> Void) {
        queue.async { [self] in
            action = onFirst
            if let received { onFirst(received) }
        }
    }
}
