#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Records every change one link operation makes to the prefix so a failure (a conflict, an
/// I/O error, a cancellation) can put the prefix back exactly as it was — including links of
/// other kegs that were split or overwritten, which brew's unlink-on-failure does not restore.
///
/// Confinement: created, used and discarded by the single thread running one `link` call; not
/// Sendable.
final class LinkJournal {
    enum Step {
        case createdLink(String)
        case createdDirectory(String)
        case removedLink(path: String, target: String)
        case movedAside(original: String, backup: String)
    }

    private var steps: [Step] = []
    /// Where overwritten files wait until the link succeeds (same filesystem as the prefix).
    private let backupRoot: String
    private var backupCount = 0
    private var backupRootCreated = false

    init(backupRoot: String) { self.backupRoot = backupRoot }

    func record(_ step: Step) { steps.append(step) }

    /// Removes the symlink at `path`, remembering its target.
    func removeLink(_ path: String, package: String) throws(KegError) {
        let target = PosixFS.readLink(path) ?? ""
        guard unlink(path) == 0 else { throw KegError.system("remove link", path, package: package, errno: errno) }
        steps.append(.removedLink(path: path, target: target))
    }

    /// Renames a real file out of the way into the backup area.
    func moveAside(_ path: String, package: String) throws(KegError) {
        if !backupRootCreated {
            try PosixFS.makeDirectories(backupRoot)
            backupRootCreated = true
        }
        backupCount += 1
        let backup = "\(backupRoot)/\(backupCount)"
        guard rename(path, backup) == 0 else { throw KegError.system("move aside", path, package: package, errno: errno) }
        steps.append(.movedAside(original: path, backup: backup))
    }

    /// Undoes every recorded step, newest first. Best effort: keeps going past failures.
    func rollback() {
        for step in steps.reversed() {
            switch step {
            case let .createdLink(path): unlink(path)
            case let .createdDirectory(path): rmdir(path)
            case let .removedLink(path, target): symlink(target, path)
            case let .movedAside(original, backup): rename(backup, original)
            }
        }
        steps.removeAll()
        finish()
    }

    /// Forgets the journal after success and deletes overwritten files.
    func finish() {
        if backupRootCreated { PosixFS.removeTree(backupRoot) }
        backupRootCreated = false
    }
}
