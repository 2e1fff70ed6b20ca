import ArgumentParser
import Foundation
import PourCore

/// `pour install --dry-run`: computes `Installer.plan` and prints it (text or one JSON object).
enum DryRunOutput {
    static func run(_ installer: Installer, names: [String], options: InstallOptions, json: Bool) throws {
        let done = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<InstallPlan, InstallError>?>(nil)
        let handle = installer.plan(names, options: options, callbackQueue: DispatchQueue(label: "pour.cli.plan")) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        let trap = SignalTrap.shared
        trap.arm { _ in handle.cancel() }
        done.wait()
        switch outcome.current {
        case .success(let plan)?:
            if json { LifecycleCLI.printJSON(object(plan)) } else { for line in lines(plan) { LifecycleCLI.say(line) } }
            if plan.packages.contains(where: { $0.problem != nil }) { throw ExitCode.failure }
        case .failure(let error)?:
            throw LifecycleCLI.exitCode(for: error, signal: trap.firstSignal)
        case nil:
            throw LifecycleCLI.exitCode(for: nil, signal: nil)
        }
    }

    static func lines(_ plan: InstallPlan) -> [String] {
        var lines: [String] = []
        let count = plan.packages.count
        var header = "==> Would install \(count) package\(count == 1 ? "" : "s")"
        if count > 0 {
            header += " (\(ProgressText.bytes(plan.downloadBytes)) to download"
            if plan.unknownSizes > 0 { header += " + \(plan.unknownSizes) of unknown size" }
            header += ")"
        }
        lines.append(header)
        for package in plan.packages {
            var facts = [package.requested ? "requested" : "dependency"]
            if let installed = package.installedVersion { facts.append("upgrades \(installed)") }
            facts.append("bottle " + (package.bottleSize.map(ProgressText.bytes) ?? "size unknown"))
            if let installed = package.installedSize { facts.append(ProgressText.bytes(installed) + " installed") }
            if package.cached { facts.append("cached") }
            facts.append(package.wouldLink ? "would link" : (package.kegOnly ? "keg-only, not linked" : "not linked"))
            lines.append("\(package.name) \(package.pkgVersion): \(facts.joined(separator: ", "))")
            if let problem = package.problem { lines.append("  Error: \(problem)") }
        }
        if !plan.alreadyInstalled.isEmpty {
            lines.append("==> Already installed: " + plan.alreadyInstalled.map { "\($0.name) \($0.pkgVersion)" }.joined(separator: ", "))
        }
        return lines
    }

    static func object(_ plan: InstallPlan) -> [String: Any] {
        ["download_bytes": plan.downloadBytes,
         "install": plan.packages.map { package -> [String: Any] in
             var object: [String: Any] = ["name": package.name, "pkg_version": package.pkgVersion, "requested": package.requested,
                                          "keg_only": package.kegOnly, "cached": package.cached, "would_link": package.wouldLink,
                                          "url": package.bottleURL]
             if let size = package.bottleSize { object["bottle_size"] = size }
             if let size = package.installedSize { object["installed_size"] = size }
             if let version = package.installedVersion { object["installed_version"] = version }
             if let problem = package.problem { object["error"] = problem }
             return object
         },
         "already_installed": plan.alreadyInstalled.map { ["name": $0.name, "pkg_version": $0.pkgVersion] }]
    }
}
