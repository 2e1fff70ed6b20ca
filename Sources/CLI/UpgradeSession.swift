import ArgumentParser
import Foundation
import PourCore

/// Runs an `Upgrader` (upgrade or reinstall) with the install's progress renderers and the
/// signal trap, and turns its outcome into an exit status — shared by both subcommands.
enum UpgradeSession {
    static func run(_ mode: Upgrader.Mode, names: [String], prefixOptions: PrefixOptions, jobs: Int?, noWait: Bool,
                    quiet: Bool, json: Bool) throws {
        // Before any work: a Ctrl-C from here on cancels cleanly (see SignalTrap).
        let trap = SignalTrap.shared
        var configuration = prefixOptions.configuration()
        if let jobs { configuration.jobs = jobs }
        configuration.waitForLock = !noWait
        let renderer = ProgressRenderers.make(json: json, quiet: quiet)
        let upgrader = Upgrader(installer: Installer(configuration: configuration))
        let done = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<Upgrader.Report, LifecycleError>?>(nil)
        let handle = upgrader.run(mode, names: names, callbackQueue: renderer.queue, onPlan: { plan in
            for message in messages(plan, mode: mode) { renderer.note(message) }
        }, events: { event in renderer.render(event) }, completion: { result in
            // Behind a Ctrl-C note already queued on the renderer's queue (see InstallSession).
            renderer.queue.async {
                switch result {
                case .success(let report), .failure(.cancelled(let report)):
                    if let install = report.install {
                        renderer.finish(report.cancelled ? .failure(.cancelled(install)) : .success(install))
                    } else if report.cancelled {
                        renderer.note("cancelled")
                    } else {
                        renderer.note(mode == .upgrade ? "nothing to upgrade" : "nothing to reinstall")
                    }
                    if let problem = report.flagProblem { renderer.note("Warning: \(problem)") }
                case .failure(let error):
                    renderer.note("Error: \(error.description)")
                }
                outcome.withLock { $0 = result }
                // note() hops onto the queue: signal after it has written.
                renderer.queue.async { done.signal() }
            }
        })
        trap.arm { _ in
            renderer.note("cancelling — links stay on the old or the new version of each package")
            handle.cancel()
        }
        done.wait()
        switch outcome.current {
        case .failure(.cancelled)?:
            throw ExitCode(128 + (trap.firstSignal ?? SIGINT))
        case .success(let report)?:
            if !report.succeeded { throw ExitCode.failure }
        case .failure?, nil:
            throw ExitCode.failure
        }
    }

    static func messages(_ plan: Upgrader.Plan, mode: Upgrader.Mode) -> [String] {
        var lines: [String] = []
        for package in plan.packages where mode == .upgrade {
            lines.append("\(package.name) \(package.activeVersion) -> \(package.currentVersion)")
        }
        for package in plan.pinned {
            lines.append("Not \(mode == .upgrade ? "upgrading" : "reinstalling") \(package.name): pinned at "
                + "\(package.pinnedVersion ?? package.activeVersion) (`pour unpin \(package.name)` to allow it)")
        }
        for (name, pin) in plan.blockedByPin.sorted(by: { $0.key < $1.key }) {
            lines.append("Not \(mode == .upgrade ? "upgrading" : "reinstalling") \(name): it needs a new version of pinned \(pin)")
        }
        for name in plan.upToDate { lines.append("\(name) is already up to date") }
        for name in plan.unavailable { lines.append("Warning: \(name) is not in the catalogue; skipped") }
        return lines
    }
}
