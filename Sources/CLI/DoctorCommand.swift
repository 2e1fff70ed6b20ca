import ArgumentParser
import PourCore

/// `pour doctor`
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the prefix and cache for damage; --fix repairs what it safely can.",
        discussion: """
            Looks for broken symlinks (bin, sbin, lib, include, share, etc, opt, var/homebrew/linked and pinned), \
            stale staging directories, partial downloads no process is writing, kegs without receipts and \
            opt links to missing kegs. Exits 1 while problems remain.
            """)

    @OptionGroup var prefixOptions: PrefixOptions

    @Flag(help: "Repair what can be repaired.")
    var fix = false

    @Flag(name: .customLong("no-wait"), help: "Fail at once if another pour holds the prefix lock (with --fix).")
    var noWait = false

    func run() throws {
        let layout = prefixOptions.configuration().layout
        let doctor = Doctor(layout: layout)
        var remaining: [DoctorFinding]
        if fix {
            let lock = try LifecycleCLI.lock(layout, noWait: noWait)
            defer { lock.release() }
            do {
                let outcome = try doctor.fix(lock: lock)
                for finding in outcome.fixed { LifecycleCLI.say("Fixed: \(finding.kind.rawValue): \(finding.path)") }
                remaining = outcome.remaining
            } catch {
                throw LifecycleCLI.fail(error)
            }
        } else {
            remaining = doctor.check()
        }
        for finding in remaining {
            LifecycleCLI.say("\(finding.isProblem ? "Problem" : "Info"): \(finding.kind.rawValue): \(finding.description)")
        }
        let problems = remaining.filter(\.isProblem).count
        if problems > 0 {
            LifecycleCLI.note("==> \(problems) problem\(problems == 1 ? "" : "s") found\(fix ? " that --fix cannot repair" : "; run `pour doctor --fix`")")
            throw ExitCode.failure
        }
        LifecycleCLI.note("==> Your prefix is ready to pour.")
    }
}
