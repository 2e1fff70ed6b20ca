#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension BeneathRoot {
    /// Where a path leads on the real filesystem beneath the root, following the symlinks it meets
    /// there the way the kernel will when someone opens it later.
    package enum Resolution: Equatable, Sendable {
        /// Stays beneath the root; the physical components (the last ones may not exist yet).
        case inside([String])
        /// Climbs above the root, names an absolute target, or loops (more than 40 links).
        case escapes
    }

    /// Resolves the symlink target `target` as stored at `linkPath` (both root-relative) against
    /// the tree as it is on disk: every directory symlink met on the way is followed (its own target
    /// read with `readlinkat`, never the text of the first link alone), every `..` pops one physical
    /// component. A chain such as `d/up -> ../../..` then `bin/esc -> d/up/../x` is `.escapes`
    /// although each text alone stays inside.
    ///
    /// Components that do not exist (a dangling tail) are taken lexically, which is conservative:
    /// the kernel would fail there, so no later file can appear outside through them.
    package func resolveLink(at linkPath: String, target: String) -> Resolution {
        if target.isEmpty || PathComponents.isAbsolute(target) { return .escapes }
        guard var parent = try? Self.components(linkPath) else { return .escapes }
        parent.removeLast()
        var pending = Array(PathComponents.split(target).map(String.init).reversed())
        return resolve(start: parent, pending: &pending)
    }

    /// Resolves a root-relative path physically, following a final symlink too.
    package func resolvePath(_ relative: String) -> Resolution {
        if PathComponents.isAbsolute(relative) { return .escapes }
        var pending = Array(PathComponents.split(relative).map(String.init).reversed())
        return resolve(start: [], pending: &pending)
    }

    private func resolve(start: [String], pending: inout [String]) -> Resolution {
        var stack = start
        var hops = 0
        var missing = false  // a component did not exist: the rest is lexical
        while let part = pending.popLast() {
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                if stack.isEmpty { return .escapes }
                stack.removeLast()
                continue
            }
            if part.utf8.contains(0) { return .escapes }
            if missing {
                stack.append(part)
                continue
            }
            // `stack` holds only real directories, so this lookup crosses no symlink.
            var info = stat()
            let candidate = (stack + [part]).joined(separator: "/")
            if fstatat(fd, candidate, &info, AT_SYMLINK_NOFOLLOW) != 0 {
                missing = true
                stack.append(part)
                continue
            }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                hops += 1
                // MAXSYMLINKS on Linux; a loop is refused rather than followed forever.
                guard hops <= 40, let next = linkTarget(candidate), !next.isEmpty, !PathComponents.isAbsolute(next) else {
                    return .escapes
                }
                pending.append(contentsOf: PathComponents.split(next).map(String.init).reversed())
            case S_IFDIR:
                stack.append(part)
            default:
                // A file in the middle: the kernel answers ENOTDIR; whatever follows is lexical.
                stack.append(part)
                missing = true
            }
        }
        return .inside(stack)
    }
}
