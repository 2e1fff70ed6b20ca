/// One filesystem change a post-install makes. The planner produces the complete list before
/// anything is touched, so a body pour does not fully understand changes nothing.
///
/// Paths are absolute, free of `.`/`..`, and spelled under the prefix's real path.
///
/// Immutable value; safe to share across queues.
enum PostInstallEffect: Equatable, Sendable, CustomStringConvertible {
    /// `mkpath`: create the directory and missing parents.
    case makeDirectory(String)
    /// `rm`/`rm_f` of a file or symlink (never a directory).
    case remove(String)
    /// `install_symlink`/`ln_sf`: (re)place a symlink at `at` whose content is `target`.
    case symlink(at: String, target: String)
    /// `cp`, `atomic_write(x.read)`: replace `to` with the contents of the regular file `from`.
    case copy(from: String, to: String)
    /// `atomic_write("literal")`: replace `at` with `contents`.
    case write(at: String, contents: String)
    /// `touch`: create an empty file if missing, else update its times.
    case touch(String)

    /// The path the effect creates, replaces or removes.
    var path: String {
        switch self {
        case .makeDirectory(let p), .remove(let p), .touch(let p): return p
        case .symlink(let at, _): return at
        case .copy(_, let to): return to
        case .write(let at, _): return at
        }
    }

    var description: String {
        switch self {
        case .makeDirectory(let p): return "mkdir -p \(p)"
        case .remove(let p): return "rm \(p)"
        case .symlink(let at, let target): return "ln -sf \(target) \(at)"
        case .copy(let from, let to): return "cp \(from) \(to)"
        case .write(let at, let contents): return "write \(contents.utf8.count) bytes to \(at)"
        case .touch(let p): return "touch \(p)"
        }
    }
}

/// What the planner can ask about the filesystem: the state of a path without following a final
/// symlink. The installer answers from the real prefix; the coverage tool from an empty one.
///
/// Immutable value of pure (or read-only filesystem) closures; safe to share across queues.
struct PostInstallWorld: Sendable {
    enum State: Equatable { case missing, file, directory, symlink }

    var state: @Sendable (String) -> State
    /// The real path of an existing directory (install_symlink resolves its source's parent).
    var realDirectory: @Sendable (String) -> String?

    static let real = PostInstallWorld(
        state: { path in
            switch PosixFS.kind(path) {
            case .missing: return .missing
            case .directory: return .directory
            case .symlink: return .symlink
            case .file, .other: return .file
            }
        },
        realDirectory: { PosixFS.isDirectoryFollowingLinks($0) ? PosixFS.realPath($0) : nil })

    /// A fresh prefix with nothing in it (for measuring coverage without kegs).
    static let empty = PostInstallWorld(state: { _ in .missing }, realDirectory: { _ in nil })
}
