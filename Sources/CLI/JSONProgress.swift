import Foundation
import PourCore

/// `--json`: one JSON object per line on stdout for scripts and embedders.
///
/// Confinement: stateless; called on `queue`.
final class JSONProgress: ProgressRendering, @unchecked Sendable {
    let queue = DispatchQueue(label: "pour.cli.progress")

    func render(_ event: InstallEvent) { emit(EventJSON.object(for: event)) }

    func note(_ message: String) { queue.async { self.emit(["event": "note", "message": message]) } }

    func finish(_ result: Result<InstallReport, InstallError>) { emit(EventJSON.object(for: result)) }

    private func emit(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        writeStandardOutput(data + Data("\n".utf8))
    }
}
