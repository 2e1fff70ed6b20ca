/// One thing that happened during an install, delivered in order on the caller's queue.
///
/// Events are values: an embedder can render them, log them, or encode them (`pour --json`).
public enum InstallEvent: Sendable, Equatable {
    /// Another pour holds the prefix lock; the message says who and where.
    case waitingForLock(message: String)
    case resolving(names: [String])
    /// The plan: packages to install (in dependency order) and those already installed.
    case planned(install: [PlannedPackage], alreadyInstalled: [String])
    case downloadStarted(name: String)
    case downloadProgress(name: String, receivedBytes: Int64, totalBytes: Int64?)
    case downloadRetrying(name: String, attempt: Int, delaySeconds: Double, reason: String)
    /// A download is waiting: for another pour process downloading the same bottle into the
    /// shared cache ("waiting for another pour downloading X"), or for a server that sends
    /// nothing ("X: waiting for HOST (12 s)", once per second of silence from the second on).
    case downloadWaiting(name: String, message: String)
    /// Formula metadata (JSON, catalogue, manifest) has received nothing from `host` for
    /// `seconds` (reported from the 2nd second on, once per second).
    case waitingForServer(host: String, seconds: Int)
    case downloadFinished(name: String, bytes: Int64, fromCache: Bool)
    case extracting(name: String)
    case extracted(name: String, files: Int, bytes: Int64)
    case committed(name: String, kegPath: String)
    case linked(name: String, links: Int)
    case installed(name: String, pkgVersion: String)
    case skipped(name: String, reason: InstallReport.SkipReason)
    case failed(name: String, message: String)
    case caveats(name: String, text: String)
    /// The formula's `post_install` was carried out by pour (`detail`: fully interpreted, or
    /// which recognised effect).
    case postInstallRan(name: String, detail: String)
    /// pour did not run the formula's `post_install` (nothing of it was changed); the install
    /// still succeeded. `command` is what the user runs to finish it.
    case postInstallNotRun(name: String, reason: String, command: String)
    /// Something the user should know that does not stop the install (e.g. a bottle relocated
    /// in full for lack of metadata).
    case warning(name: String, message: String)
}

extension InstallEvent {
    /// One package the plan will install.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    public struct PlannedPackage: Sendable, Equatable {
        public var name: String
        public var pkgVersion: String
        public var requested: Bool
        public var kegOnly: Bool
    }
}

package typealias PlannedPackage = InstallEvent.PlannedPackage
