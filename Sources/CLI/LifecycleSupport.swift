import ArgumentParser
import Foundation
import PourCore

/// Helpers every lifecycle subcommand shares: the prefix lock, error reporting and output.
enum LifecycleCLI {
    /// Takes the lock, resolves `names` among the installed formulae and runs `body` for each,
    /// turning a `LifecycleError` into a one-line message and exit status 1.
    static func forEachInstalled(_ names: [String], _ options: PrefixOptions, noWait: Bool,
                                 _ body: (PrefixLayout, PrefixLock, InstalledFormula) throws(LifecycleError) -> Void) throws {
        let layout = options.configuration().layout
        let lock = try lock(layout, noWait: noWait)
        defer { lock.release() }
        for formula in try resolve(names, in: PrefixInventory.read(layout: layout)) {
            do throws(LifecycleError) {
                try body(layout, lock, formula)
            } catch {
                throw fail(error)
            }
        }
    }

    /// Takes the prefix lock, saying on stderr whom we wait for; `--no-wait` fails at once.
    static func lock(_ layout: PrefixLayout, noWait: Bool) throws -> PrefixLock {
        do {
            return try LifecycleLock.acquire(layout: layout, wait: !noWait) { message in writeStderr("==> \(message)\n") }
        } catch {
            throw fail(error)
        }
    }

    /// Prints `Error: …` and returns the exit code to throw.
    static func fail(_ error: LifecycleError) -> ExitCode {
        writeStderr("Error: \(error.description)\n")
        return ExitCode.failure
    }

    static func say(_ line: String) { writeStandardOutput(Data((line + "\n").utf8)) }

    static func note(_ line: String) { writeStderr(line + "\n") }

    /// Pretty, key-sorted JSON on stdout.
    /// The exit for a run that ended in `error` (nil: no result at all): a cancel exits 128 + the
    /// signal that caused it, anything else prints its one-line message and exits 1.
    static func exitCode(for error: InstallError?, signal: Int32?) -> ExitCode {
        guard let error else { return ExitCode.failure }
        if case .cancelled = error { return ExitCode(128 + (signal ?? SIGINT)) }
        writeStderr("Error: \(error.description)\n")
        return ExitCode.failure
    }

    static func printJSON(_ object: Any) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) else { return }
        writeStandardOutput(data + Data("\n".utf8))
    }

    static func bytes(_ count: Int64) -> String { ProgressText.bytes(count) }

    static func inventory(_ options: PrefixOptions) -> PrefixInventory {
        PrefixInventory.read(layout: options.configuration().layout)
    }

    /// Resolves every name, reporting all unknown ones before failing.
    static func resolve(_ names: [String], in inventory: PrefixInventory) throws -> [InstalledFormula] {
        var found: [InstalledFormula] = []
        var failed = false
        for name in names {
            do { found.append(try inventory.resolve(name)) } catch {
                writeStderr("Error: \(error.description)\n")
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
        return found
    }
}
