import Foundation
import PourCore

/// Installs each plugin with its own `InstallOperation`, after one `MetadataRefreshOperation`,
/// on an `OperationQueue` of width 1 (one prefix: runs would only queue on its lock anyway), so
/// one broken plugin does not stop the others. Ctrl-C cancels every operation; a second Ctrl-C
/// exits at once.
///
/// Confinement: `signalCount` and `signalSource` are touched only on `display.queue`, where every
/// callback of this class runs; hence `@unchecked Sendable`.
final class PluginManager: @unchecked Sendable {
    private let installer: Installer
    private let plugins: [String]
    private let display = ProgressDisplay()
    private let queue = OperationQueue()
    private var signalSource: DispatchSourceSignal?
    private var signalCount = 0

    init(configuration: InstallConfiguration, plugins: [String]) {
        installer = Installer(configuration: configuration)
        self.plugins = plugins
        queue.name = "plugin-manager.operations"
        queue.maxConcurrentOperationCount = 1
    }

    /// Starts everything and calls `finished` with the exit status, once, on the display queue.
    func run(finished: @escaping @Sendable (Int32) -> Void) {
        let refresh = MetadataRefreshOperation(installer: installer, names: plugins, callbackQueue: display.queue)
        refresh.completionHandler = { [display] result in
            if case .failure(let error) = result { display.line("metadata: \(error)") }
        }
        let installs = plugins.map { plugin in
            let install = InstallOperation(installer: installer, names: [plugin], callbackQueue: display.queue)
            install.addDependency(refresh)
            install.eventHandler = { [display] event in display.render(plugin: plugin, event) }
            install.completionHandler = { [display] result in
                switch result {
                case .success(let report):
                    let seconds = String(format: "%.1f", report.seconds)
                    display.line("[\(plugin)] \(report.succeeded ? "ready" : "incomplete") in \(seconds)s")
                case .failure(let error):
                    display.line("[\(plugin)] not installed: \(error)")
                }
            }
            return install
        }
        // Runs after every install has finished, cancelled or not: the summary lives on its own
        // queue so that cancelling the plugin operations cannot cancel it.
        let summary = BlockOperation { [display] in
            display.queue.async {
                let wasCancelled = installs.contains { $0.isCancelled }
                let failed = installs.filter { !$0.didSucceed }.map { $0.names.joined() }
                display.line(failed.isEmpty ? "all plugins ready" : "not ready: \(failed.joined(separator: ", "))")
                finished(wasCancelled ? 130 : (failed.isEmpty ? 0 : 1))
            }
        }
        installs.forEach(summary.addDependency)

        display.queue.sync { trapInterrupt(cancelling: [refresh] + installs) }
        queue.addOperations([refresh] + installs, waitUntilFinished: false)
        OperationQueue().addOperation(summary)
    }

    /// SIGINT through a DispatchSource on the display queue instead of a signal handler: the
    /// handler may then call anything.
    private func trapInterrupt(cancelling operations: [Operation]) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: display.queue)
        source.setEventHandler { [self] in
            signalCount += 1
            if signalCount > 1 { exit(130) }
            display.line("cancelling — partial downloads and staging are removed (Ctrl-C again to quit at once)")
            operations.forEach { $0.cancel() }
        }
        source.resume()
        signalSource = source
    }
}
