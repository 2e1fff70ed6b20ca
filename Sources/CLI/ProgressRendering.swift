import Foundation
import PourCore

/// How `pour install` shows what happens. Every method is called on `queue` (the installer's
/// callback queue), except `note`, which hops onto it.
protocol ProgressRendering: AnyObject, Sendable {
    /// The serial queue events are delivered on; renderers confine their state to it.
    var queue: DispatchQueue { get }
    func render(_ event: InstallEvent)
    func note(_ message: String)
    func finish(_ result: Result<InstallReport, InstallError>)
}


enum ProgressRenderers {
    /// Picks NDJSON, live bars (stderr is a terminal) or plain lines.
    static func make(json: Bool, quiet: Bool) -> any ProgressRendering {
        if json { return JSONProgress() }
        if !quiet && isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb" {
            return TerminalProgress()
        }
        return LineProgress(quiet: quiet)
    }
}

enum ProgressText {
    static func bytes(_ count: Int64) -> String {
        let value = Double(count)
        if value >= 1_073_741_824 { return String(format: "%.2f GB", value / 1_073_741_824) }
        if value >= 1_048_576 { return String(format: "%.1f MB", value / 1_048_576) }
        if value >= 1024 { return String(format: "%.0f KB", value / 1024) }
        return "\(count) B"
    }

    /// The one-line message for an event, or nil for events that only move progress bars.
    /// Registry text reaches it (names, caveats, URLs in messages): escape sequences are removed.
    static func line(for event: InstallEvent) -> String? {
        rawLine(for: event).map(TerminalText.sanitized)
    }

    private static func rawLine(for event: InstallEvent) -> String? {
        switch event {
        case .waitingForLock(let message): return "==> \(message)"
        case .resolving(let names): return "==> Resolving \(names.joined(separator: " "))"
        case .planned(let install, let already):
            var text = "==> Installing \(install.count) package\(install.count == 1 ? "" : "s")"
            if !install.isEmpty { text += ": " + install.map { "\($0.name) \($0.pkgVersion)" }.joined(separator: ", ") }
            if !already.isEmpty { text += " (already installed: \(already.joined(separator: ", ")))" }
            return text
        case .downloadStarted, .downloadProgress, .extracting, .committed, .linked: return nil
        case .downloadWaiting(let name, let message):
            // Server silence is reported every second; a line is printed at 2, 4, 8, 16… s.
            if let seconds = silenceSeconds(message, name: name), seconds & (seconds - 1) != 0 { return nil }
            return "==> \(message)"
        case .waitingForServer(let host, let seconds):
            return seconds & (seconds - 1) == 0 ? "==> waiting for \(host) (\(seconds) s)" : nil
        case .downloadRetrying(let name, let attempt, let delay, let reason):
            return "Warning: \(name): attempt \(attempt) failed (\(reason)); retrying in \(String(format: "%.1f", delay)) s"
        case .downloadFinished(let name, let bytes, let fromCache):
            return fromCache ? "==> \(name): using cached bottle" : "==> Downloaded \(name) (\(ProgressText.bytes(bytes)))"
        case .extracted(let name, let files, let bytes):
            return "==> Poured \(name) (\(files) files, \(ProgressText.bytes(bytes)))"
        case .installed(let name, let version): return "🍺 \(name) \(version)"
        case .skipped(let name, let reason): return "Skipped \(name): \(reason)"
        case .failed(let name, let message): return "Error: \(name): \(message)"
        case .caveats(let name, let text): return "==> Caveats for \(name)\n\(text)"
        case .postInstallRan(let name, let detail): return "==> \(name): \(detail)"
        case .postInstallNotRun(let name, let reason, _):
            return "Warning: \(name): post_install not run (\(reason)); the commands are listed at the end"
        case .warning(let name, let message): return "Warning: \(name): \(message)"
        }
    }

    /// The seconds of "NAME: waiting for HOST (12 s)", nil for other waiting messages.
    static func silenceSeconds(_ message: String, name: String) -> Int? {
        guard message.hasPrefix(name + ": waiting for "), let open = message.lastIndex(of: "(") else { return nil }
        return Int(message[message.index(after: open)...].prefix { $0.isNumber })
    }

    static func summary(_ result: Result<InstallReport, InstallError>) -> String {
        switch result {
        case .success(let report):
            return summary(report, prefix: report.succeeded ? "==> Done" : "==> Finished with errors")
        case .failure(.cancelled(let report)):
            return summary(report, prefix: "==> Cancelled")
        case .failure(let error):
            return "Error: \(error.description)"
        }
    }

    private static func summary(_ report: InstallReport, prefix: String) -> String {
        var parts = ["\(report.installed.count) installed"]
        if !report.alreadyInstalled.isEmpty { parts.append("\(report.alreadyInstalled.count) already installed") }
        if !report.skipped.isEmpty { parts.append("\(report.skipped.count) skipped (\(report.skipped.joined(separator: ", ")))") }
        if !report.failed.isEmpty { parts.append("\(report.failed.count) failed (\(report.failed.joined(separator: ", ")))") }
        parts.append("\(bytes(report.networkBytes)) downloaded")
        var text = "\(prefix): \(parts.joined(separator: ", ")) in \(String(format: "%.1f", report.seconds)) s"
        if !report.postInstallNotRun.isEmpty {
            // As brew prints after a skipped post-install (`formula_installer.rb#finish`).
            text += "\n==> Post-install steps pour did not run; finish them with:"
            for pending in report.postInstallNotRun { text += "\n  \(pending.command)" }
        }
        return text
    }
}

/// Writes to stderr in one call (so concurrent writers never interleave within a line).
func writeStderr(_ text: String) { writeAll(STDERR_FILENO, Data(text.utf8)) }

/// Writes to stdout; a closed pipe (`pour --json | head`) is ignored rather than fatal.
func writeStandardOutput(_ data: Data) { writeAll(STDOUT_FILENO, data) }

private func writeAll(_ descriptor: Int32, _ data: Data) {
    data.withUnsafeBytes { raw in
        guard let base = raw.baseAddress else { return }
        var offset = 0
        while offset < raw.count {
            let n = write(descriptor, base + offset, raw.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}
