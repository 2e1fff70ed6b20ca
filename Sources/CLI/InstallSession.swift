import ArgumentParser
import Foundation
import PourCore

/// Runs one `Installer.install` with the progress renderers and the signal trap, waits for it on
/// the main thread, and maps the outcome to an exit status — shared by `install` and `bundle`.
enum InstallSession {
    /// The finished run, and the first signal that cancelled it, if any.
    struct Outcome {
        var result: Result<InstallReport, InstallError>?
        var signal: Int32?

        /// Throws the exit status the run deserves (nothing when every package succeeded).
        func check() throws {
            switch result {
            case .success(let report)?:
                if !report.succeeded { throw ExitCode.failure }
            case .failure(.cancelled)?:
                throw ExitCode(128 + (signal ?? SIGINT))
            case .failure?, nil:
                throw ExitCode.failure
            }
        }
    }

    static func run(_ installer: Installer, names: [String], options: InstallOptions,
                    renderer: any ProgressRendering) -> Outcome {
        let trap = SignalTrap.shared  // normally created at process start (Pour.main)
        let done = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<InstallReport, InstallError>?>(nil)
        let handle = installer.install(names, options: options, callbackQueue: renderer.queue,
                                       events: { event in renderer.render(event) },
                                       completion: { result in
                                           // Re-queued behind anything already on the renderer's queue: the
                                           // Ctrl-C note is queued there directly, while this completion runs
                                           // on the installer's own queue targeting it and could otherwise be
                                           // drained ahead of the note (the summary must be the last line).
                                           renderer.queue.async {
                                               renderer.finish(result)
                                               outcome.withLock { $0 = result }
                                               done.signal()
                                           }
                                       })
        trap.arm { _ in
            renderer.note("cancelling — removing partial downloads and staging (press Ctrl-C again to quit at once)")
            handle.cancel()
        }
        done.wait()
        return Outcome(result: outcome.current, signal: trap.firstSignal)
    }
}
