import Foundation
import PourCore
import XCTest

/// The real `pour` executable, started as a child process with `--json` so a test can watch its
/// events and signal it at a chosen moment.
final class PourProcess {
    let process = Process()
    private let lines = Locked<[String]>([])
    private let sawLine = DispatchSemaphore(value: 0)

    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("pour")
    }

    init(arguments: [String], environment: [String: String]) throws {
        process.executableURL = PourProcess.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        let handle = stdout.fileHandleForReading
        let lines = self.lines
        let sawLine = self.sawLine
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    lines.withLock { $0.append(line) }
                    sawLine.signal()
                }
            }
            sawLine.signal()
        }
        try process.run()
    }

    /// Waits until an output line satisfies `predicate` (or the process ends / 60 s pass).
    @discardableResult
    func waitForLine(_ predicate: (String) -> Bool) -> Bool {
        let deadline = DispatchTime.now() + 60
        while DispatchTime.now() < deadline {
            if lines.current.contains(where: predicate) { return true }
            if !process.isRunning && sawLine.wait(timeout: .now() + 0.2) == .timedOut { return lines.current.contains(where: predicate) }
            _ = sawLine.wait(timeout: .now() + 0.2)
        }
        return false
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// What every thread of a process that outlived its `waitForExit(timeout:)` was doing, taken
    /// just before it was killed (for the failure message).
    private(set) var hangReport: String?

    /// The exit status, or nil (after killing the process) when it is still running after
    /// `timeout` seconds — a guard against a hung test, not a timing assertion. A hung process's
    /// threads are described in `hangReport` first, so a hang fails the test with evidence
    /// instead of stalling the run until CI's time limit.
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = DispatchTime.now() + timeout
        while process.isRunning && DispatchTime.now() < deadline { _ = sawLine.wait(timeout: .now() + 0.1) }
        if process.isRunning {
            hangReport = PourProcess.threadReport(pid: process.processIdentifier)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    var output: [String] { lines.current }

    /// Each thread's name, state and kernel wait channel from /proc, then, when gdb is installed,
    /// every thread's backtrace.
    static func threadReport(pid: Int32) -> String {
        var report = "pid \(pid) threads:\n"
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for task in tasks.sorted() {
            func read(_ name: String) -> String {
                ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/\(name)", encoding: .utf8)) ?? "?")
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            report += "  \(task) \(read("comm")) wchan=\(read("wchan"))\n"
        }
        let gdb = "/usr/bin/gdb"
        guard FileManager.default.isExecutableFile(atPath: gdb) else { return report }
        let debugger = Process()
        debugger.executableURL = URL(fileURLWithPath: gdb)
        debugger.arguments = ["-p", "\(pid)", "-batch", "-ex", "thread apply all bt"]
        let pipe = Pipe()
        debugger.standardOutput = pipe
        debugger.standardError = FileHandle.nullDevice
        guard (try? debugger.run()) != nil else { return report }
        let text = pipe.fileHandleForReading.readDataToEndOfFile()
        debugger.waitUntilExit()
        return report + String(decoding: text, as: UTF8.self)
    }
}
