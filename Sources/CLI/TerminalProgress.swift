import Foundation
import PourCore

/// Live progress on a terminal: one bar per active download plus an overall line, redrawn from a
/// timer (10 Hz) in a single write so it does not flicker; event lines scroll above the bars.
///
/// Confinement: all state and the timer live on `queue`.
final class TerminalProgress: ProgressRendering, @unchecked Sendable {
    let queue = DispatchQueue(label: "pour.cli.progress")
    private struct Bar {
        var received: Int64 = 0
        var total: Int64?
        var started = DispatchTime.now()
        /// "waiting for HOST (12 s)" while the server sends nothing; cleared by the next bytes.
        var waiting: String?
    }
    private var bars: [(name: String, bar: Bar)] = []
    private var drawnLines = 0
    private var planned = 0
    private var finished = 0
    private var timer: DispatchSourceTimer?
    private let width: Int

    init() {
        var size = winsize()
        width = ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 ? Int(size.ws_col) : 80
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(100))
        timer.setEventHandler { [weak self] in self?.redraw() }
        timer.resume()
        self.timer = timer
    }

    func render(_ event: InstallEvent) {
        switch event {
        case .planned(let install, _): planned = install.count
        case .downloadStarted(let name): bars.append((name, Bar()))
        case .downloadProgress(let name, let received, let total):
            if let index = bars.firstIndex(where: { $0.name == name }) {
                bars[index].bar.received = received
                bars[index].bar.total = total
                bars[index].bar.waiting = nil
            }
        case .downloadWaiting(let name, let message):
            // Silence from a server is shown in the bar (it changes every second); waiting for
            // another process is a one-off line.
            if let index = bars.firstIndex(where: { $0.name == name }), message.hasPrefix(name + ": waiting for ") {
                bars[index].bar.waiting = String(message.dropFirst(name.count + 2))
                return
            }
        case .downloadFinished(let name, _, _): bars.removeAll { $0.name == name }
        case .installed, .failed, .skipped: finished += 1
        default: break
        }
        if case .failed(let name, _) = event { bars.removeAll { $0.name == name } }
        if case .skipped(let name, _) = event { bars.removeAll { $0.name == name } }
        if let line = ProgressText.line(for: event) { printAbove(line) }
    }

    func note(_ message: String) { queue.async { self.printAbove("==> \(message)") } }

    func finish(_ result: Result<InstallReport, InstallError>) {
        timer?.cancel()
        timer = nil
        bars.removeAll()
        printAbove(ProgressText.summary(result))
    }

    private func printAbove(_ line: String) {
        writeStderr(clearDrawn() + line + "\n" + drawBars())
    }

    private func redraw() { writeStderr(clearDrawn() + drawBars()) }

    /// Moves to the first bar line and clears everything below it.
    private func clearDrawn() -> String {
        defer { drawnLines = 0 }
        return drawnLines > 0 ? "\u{1B}[\(drawnLines)A\r\u{1B}[J" : "\r\u{1B}[J"
    }

    private func drawBars() -> String {
        guard timer != nil, planned > 0 else { return "" }
        var out = ""
        let now = DispatchTime.now()
        for (name, bar) in bars.prefix(12) {
            let elapsed = max(0.001, Double(now.uptimeNanoseconds - bar.started.uptimeNanoseconds) / 1e9)
            let rate = ProgressText.bytes(Int64(Double(bar.received) / elapsed)) + "/s"
            let amount = bar.total.map { "\(ProgressText.bytes(bar.received))/\(ProgressText.bytes($0))" } ?? ProgressText.bytes(bar.received)
            // Names come from the registry: no escape sequence of theirs reaches the terminal.
            let label = String(TerminalText.sanitized(name).replacingOccurrences(of: "\n", with: " ").prefix(18))
                .padding(toLength: 18, withPad: " ", startingAt: 0)
            let barWidth = max(10, width - 18 - 2 - 34)
            let fraction = bar.total.map { $0 > 0 ? min(1, Double(bar.received) / Double($0)) : 0 } ?? 0
            let filled = Int(fraction * Double(barWidth))
            out += "\(label) [\(String(repeating: "#", count: filled))\(String(repeating: "-", count: barWidth - filled))] \(amount) \(bar.waiting ?? rate)\n"
        }
        out += "==> \(finished)/\(planned) done, \(bars.count) downloading\n"
        drawnLines = out.filter { $0 == "\n" }.count
        return out
    }
}
