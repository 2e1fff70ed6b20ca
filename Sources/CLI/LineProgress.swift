import Foundation
import PourCore

/// Plain progress for pipes and logs: one line per event, no escape codes.
///
/// Confinement: stateless apart from `quiet`; called on `queue`.
final class LineProgress: ProgressRendering, @unchecked Sendable {
    let queue = DispatchQueue(label: "pour.cli.progress")
    private let quiet: Bool

    init(quiet: Bool) { self.quiet = quiet }

    func render(_ event: InstallEvent) {
        switch event {
        case .failed, .waitingForLock: break
        default: if quiet { return }
        }
        if let line = ProgressText.line(for: event) { writeStderr(line + "\n") }
    }

    func note(_ message: String) { queue.async { writeStderr("==> \(message)\n") } }

    func finish(_ result: Result<InstallReport, InstallError>) { writeStderr(ProgressText.summary(result) + "\n") }
}
