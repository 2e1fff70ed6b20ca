import Foundation
import PourCore

/// The NDJSON shape of install events: `{"event": "<kind>", ...fields}`.
enum EventJSON {
    static func object(for event: InstallEvent) -> [String: Any] {
        switch event {
        case .waitingForLock(let message): return ["event": "waiting_for_lock", "message": message]
        case .resolving(let names): return ["event": "resolving", "names": names]
        case .planned(let install, let already):
            return ["event": "planned", "already_installed": already,
                    "install": install.map { ["name": $0.name, "pkg_version": $0.pkgVersion, "requested": $0.requested, "keg_only": $0.kegOnly] }]
        case .downloadStarted(let name): return ["event": "download_started", "name": name]
        case .downloadProgress(let name, let received, let total):
            var object: [String: Any] = ["event": "download_progress", "name": name, "received_bytes": received]
            if let total { object["total_bytes"] = total }
            return object
        case .downloadWaiting(let name, let message):
            return ["event": "download_waiting", "name": name, "message": message]
        case .waitingForServer(let host, let seconds):
            return ["event": "waiting_for_server", "host": host, "seconds": seconds]
        case .downloadRetrying(let name, let attempt, let delay, let reason):
            return ["event": "download_retrying", "name": name, "attempt": attempt, "delay_seconds": delay, "reason": reason.description]
        case .downloadFinished(let name, let bytes, let fromCache):
            return ["event": "download_finished", "name": name, "bytes": bytes, "from_cache": fromCache]
        case .extracting(let name): return ["event": "extracting", "name": name]
        case .extracted(let name, let files, let bytes): return ["event": "extracted", "name": name, "files": files, "bytes": bytes]
        case .committed(let name, let keg): return ["event": "committed", "name": name, "keg": keg]
        case .linked(let name, let links): return ["event": "linked", "name": name, "links": links]
        case .installed(let name, let version): return ["event": "installed", "name": name, "pkg_version": version]
        case .skipped(let name, let reason): return ["event": "skipped", "name": name, "reason": reason.description]
        case .failed(let name, let message): return ["event": "failed", "name": name, "message": message]
        case .caveats(let name, let text): return ["event": "caveats", "name": name, "text": text]
        case .postInstallRan(let name, let detail): return ["event": "post_install_ran", "name": name, "detail": detail]
        case .postInstallNotRun(let name, let reason, let command):
            return ["event": "post_install_not_run", "name": name, "reason": reason, "command": command]
        case .warning(let name, let message): return ["event": "warning", "name": name, "message": message]
        }
    }

    static func object(for result: Result<InstallReport, InstallError>) -> [String: Any] {
        switch result {
        case .success(let report): return summary(report, status: report.succeeded ? "ok" : "failed")
        case .failure(.cancelled(let report)): return summary(report, status: "cancelled")
        case .failure(let error): return ["event": "summary", "status": "error", "message": error.description]
        }
    }

    private static func summary(_ report: InstallReport, status: String) -> [String: Any] {
        ["event": "summary", "status": status, "installed": report.installed, "already_installed": report.alreadyInstalled,
         "skipped": report.skipped, "failed": report.failed, "network_bytes": report.networkBytes, "seconds": report.seconds,
         "post_install_not_run": report.postInstallNotRun.map { ["name": $0.name, "reason": $0.reason, "command": $0.command] }]
    }
}
