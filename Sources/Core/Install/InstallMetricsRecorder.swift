import Foundation

/// Builds `InstallReport.packageMetrics` from the run's own events, so the orchestrator needs no
/// extra bookkeeping: `Installer.install` passes every event through `record` before the
/// embedder's handler, and stamps the report with `apply` before the completion.
///
/// Confinement: `record` is called wherever an event is emitted (run queue, download queues, the
/// set-up queue) and `apply` once before the completion; `Locked` guards the clocks.
final class InstallMetricsRecorder: Sendable {
    private struct Clock {
        var metrics = PackageMetrics()
        var downloadStart: UInt64?
        var extractStart: UInt64?
    }

    private let packages = Locked<[String: Clock]>([:])

    func record(_ event: InstallEvent) {
        let now = DispatchTime.now().uptimeNanoseconds
        func seconds(since start: UInt64?) -> Double? {
            start.map { Double(now &- $0) / 1e9 }
        }
        packages.withLock { packages in
            switch event {
            case .downloadStarted(let name):
                packages[name, default: Clock()].downloadStart = now
            case .downloadFinished(let name, let bytes, let fromCache):
                var clock = packages[name, default: Clock()]
                clock.metrics.networkBytes = bytes
                clock.metrics.fromCache = fromCache
                clock.metrics.downloadSeconds = seconds(since: clock.downloadStart)
                packages[name] = clock
            case .extracting(let name):
                packages[name, default: Clock()].extractStart = now
            case .extracted(let name, let files, let bytes):
                var clock = packages[name, default: Clock()]
                clock.metrics.files = files
                clock.metrics.kegBytes = bytes
                clock.metrics.extractSeconds = seconds(since: clock.extractStart)
                packages[name] = clock
            case .installed(let name, _), .failed(let name, _), .skipped(let name, _):
                var clock = packages[name, default: Clock()]
                clock.metrics.totalSeconds = seconds(since: clock.downloadStart)
                packages[name] = clock
            default:
                break
            }
        }
    }

    func apply(to result: Result<InstallReport, InstallError>) -> Result<InstallReport, InstallError> {
        let metrics = packages.current.mapValues(\.metrics)
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
