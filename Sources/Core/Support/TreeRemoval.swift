import Foundation

/// Forcible removal of a directory tree this module wrote, used to leave no partial keg behind.
///
/// Stateless; safe from any queue. Never follows symlinks (lstat, unlink of the link itself), and
/// makes directories writable first because a bottle may carry read-only directories.
enum TreeRemoval {
    /// Removes `path` and everything below it. Best effort: errors are ignored because this runs
    /// on the failure path, where the original error is what the user needs to see.
    static func remove(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) != S_IFDIR {
            unlink(path)
            return
        }
        chmod(path, 0o700)
        if let dir = opendir(path) {
            var children: [String] = []
            while let entry = readdir(dir) {
                let child = withUnsafePointer(to: &entry.pointee.d_name) {
                    String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                }
                if child != "." && child != ".." { children.append(child) }
            }
            closedir(dir)
            for child in children { remove(path + "/" + child) }
        }
        rmdir(path)
    }
}
