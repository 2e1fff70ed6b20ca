extension InstallReport {
    /// What became of one package in an install run.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    public enum PackageOutcome: Sendable, Equatable {
        case installed
        /// Already in the Cellar at the wanted version (and not forced).
        case alreadyInstalled
        /// Not attempted because a dependency failed (named) or the run was cancelled.
        case skipped(reason: SkipReason)
        case failed(PackageFailure)

        /// True when the package was skipped because the run was cancelled.
        public var isCancellation: Bool { self == .skipped(reason: .cancelled) }
    }

    /// Why a package of the plan was not attempted.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    public enum SkipReason: Sendable, Equatable, CustomStringConvertible {
        /// The run was cancelled before the package was installed.
        case cancelled
        /// A dependency (named) failed or was skipped, so this package could not be installed.
        case dependencyFailed(String)

        public var description: String {
            switch self {
            case .cancelled: return "cancelled"
            case .dependencyFailed(let name): return "dependency \(name) failed"
            }
        }
    }
}

package typealias PackageOutcome = InstallReport.PackageOutcome

/// The result of an install run: one outcome per package of the plan, plus totals.
///
/// Thread-safety: an immutable value once delivered; safe to share across queues.
public struct InstallReport: Sendable, Equatable {
    /// Outcomes in plan order (dependencies first).
    public var packages: [(name: String, pkgVersion: String, outcome: InstallReport.PackageOutcome)]
    public var networkBytes: Int64
    public var seconds: Double
    public var cancelled: Bool
    /// Bytes and durations per package of the plan (already-installed packages have none).
    public var packageMetrics: [String: InstallReport.PackageMetrics] = [:]
    /// Installed formulae whose `post_install` pour did not run, in plan order.
    public var postInstallNotRun: [InstallReport.PendingPostInstall] = []

    // Each list is one pass over `packages` picking names, with no filtered copy of the
    // (name, version, outcome) tuples first; `succeeded` allocates nothing. With 1,000 packages
    // the copies were part of the allocations at the very end of a run, where its RSS peaked
    // (Docs/Performance.md, "Fourth pass: RSS").
    public var installed: [String] { names { $0 == .installed } }
    public var alreadyInstalled: [String] { names { $0 == .alreadyInstalled } }
    public var failed: [String] { names(where: Self.isFailure) }
    public var skipped: [String] { names(where: Self.isSkip) }
    public var succeeded: Bool {
        !cancelled && !packages.contains { Self.isFailure($0.outcome) || Self.isSkip($0.outcome) }
    }

    private func names(where matches: (InstallReport.PackageOutcome) -> Bool) -> [String] {
        packages.compactMap { matches($0.outcome) ? $0.name : nil }
    }

    private static func isFailure(_ outcome: InstallReport.PackageOutcome) -> Bool {
        if case .failed = outcome { return true } else { return false }
    }

    private static func isSkip(_ outcome: InstallReport.PackageOutcome) -> Bool {
        if case .skipped = outcome { return true } else { return false }
    }

    /// Equal when the same packages had the same outcomes with the same bytes; durations
    /// (`seconds`, `packageMetrics`) are measurements and are not compared.
    public static func == (lhs: InstallReport, rhs: InstallReport) -> Bool {
        lhs.networkBytes == rhs.networkBytes && lhs.cancelled == rhs.cancelled
            && lhs.packages.map(\.name) == rhs.packages.map(\.name)
            && lhs.packages.map(\.outcome) == rhs.packages.map(\.outcome)
    }
}

extension InstallReport {
    /// A formula installed without its `post_install`: why, and the command that finishes it.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    public struct PendingPostInstall: Sendable, Equatable {
        public var name: String
        public var reason: String
        /// `brew postinstall <name>`.
        public var command: String
    }
}
