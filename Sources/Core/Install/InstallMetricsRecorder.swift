import Foundation

/// Builds `InstallReport.packageMetrics` from the run's own events, so the orchestrator needs no
/// extra bookkeeping: `Installer.install` passes every event through `record` before the
/// embedder's handler, and stamps the report with `apply` before the completion.
///
/// The metrics are kept in the dictionary the report receives, and the start times apart, each
/// dropped when its package ends: `apply` hands the dictionary over without copying it. (It was
/// copied with `mapValues` at the very end of a run, where 1,000 small bottles peaked in RSS;
/// Docs/Performance.md, "Fourth pass: RSS".)
///
/// Confinement: `record` is called wherever an event is emitted (run queue, download queues, the
/// set-up queue) and `apply` once before the completion; `Locked` guards the state.
final class InstallMetricsRecorder: Sendable {
    private struct Starts {
        var download: UInt64?
        var extract: UInt64?
    }

    private struct State {
        var metrics: [String: PackageMetrics] = [:]
        /// Packages with an event and no outcome yet.
        var starts: [String: Starts] = [:]
    }

    private let state = Locked(State())

    func record(_ event: InstallEvent) {
        let now = DispatchTime.now().uptimeNanoseconds
        func seconds(since start: UInt64?) -> Double? {
            start.map { Double(now &- $0) / 1e9 }
        }
        state.withLock { state in
            switch event {
            case .downloadStarted(let name):
                state.starts[name, default: Starts()].download = now
                if state.metrics[name] == nil { state.metrics[name] = PackageMetrics() }
            case .downloadFinished(let name, let bytes, let fromCache):
                let start = state.starts[name]?.download
                state.metrics[name, default: PackageMetrics()].networkBytes = bytes
                state.metrics[name, default: PackageMetrics()].fromCache = fromCache
                state.metrics[name, default: PackageMetrics()].downloadSeconds = seconds(since: start)
            case .extracting(let name):
                state.starts[name, default: Starts()].extract = now
                if state.metrics[name] == nil { state.metrics[name] = PackageMetrics() }
            case .extracted(let name, let files, let bytes):
                let start = state.starts[name]?.extract
                state.metrics[name, default: PackageMetrics()].files = files
                state.metrics[name, default: PackageMetrics()].kegBytes = bytes
                state.metrics[name, default: PackageMetrics()].extractSeconds = seconds(since: start)
            case .installed(let name, _), .failed(let name, _), .skipped(let name, _):
                let start = state.starts.removeValue(forKey: name)?.download
                state.metrics[name, default: PackageMetrics()].totalSeconds = seconds(since: start)
            default:
                break
            }
        }
    }

    func apply(to result: Result<InstallReport, InstallError>) -> Result<InstallReport, InstallError> {
        let metrics = state.withLock { state in
            let metrics = state.metrics
            state = State()
            return metrics
        }
        switch result {
        case .success(var report):
            report.packageMetrics = metrics
            return .success(report)
        case .failure(.cancelled(var report)):
            report.packageMetrics = metrics
            return .failure(.cancelled(report))
        case .failure:
            return result
        }
    }
}
