import Foundation
import PourCore

/// Prints one line per milestone and a percentage every 25% of each download.
///
/// Confinement: every method runs on `queue` (the operations' callback queue and the signal
/// source's queue), which owns `lastQuarter`; hence `@unchecked Sendable`.
final class ProgressDisplay: @unchecked Sendable {
    let queue = DispatchQueue(label: "plugin-manager.display")
    private var lastQuarter: [String: Int64] = [:]

    func line(_ text: String) {
        dispatchPrecondition(condition: .onQueue(queue))
        // Unbuffered: lines must show up at once even when stdout is a pipe.
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    func render(plugin: String, _ event: InstallEvent) {
        switch event {
        case .waitingForLock(let message):
            line("[\(plugin)] waiting: \(message)")
        case .planned(let install, let already):
            let names = install.map { "\($0.name) \($0.pkgVersion)" }.joined(separator: ", ")
            line("[\(plugin)] plan: \(names.isEmpty ? "nothing to install" : names)"
                 + (already.isEmpty ? "" : " (already installed: \(already.joined(separator: ", ")))"))
        case .downloadProgress(let name, let received, let total?) where total > 0:
            let quarter = received * 4 / total
            if quarter > lastQuarter[name, default: -1] {
                lastQuarter[name] = quarter
                line("[\(plugin)] \(name) \(quarter * 25)%")
            }
        case .downloadRetrying(let name, let attempt, _, let reason):
            line("[\(plugin)] \(name) retry \(attempt): \(reason)")
        case .installed(let name, let version):
            line("[\(plugin)] installed \(name) \(version)")
        case .failed(let name, let message):
            line("[\(plugin)] FAILED \(name): \(message)")
        case .skipped(let name, let reason):
            line("[\(plugin)] skipped \(name): \(reason)")
        default:
            break
        }
    }
}
