import CArchive
import Foundation
import XCTest

/// Builds tar archives with arbitrary (including hostile) entries through libarchive's writer,
/// plus temp-directory and snapshot helpers shared by the Unpack and relocation tests.
///
/// Test-only; each test makes its own builder and directories, so nothing is shared between tests.
enum TestArchive {
    enum Compression { case none, gzip, zstd, xz, bzip2 }

    enum Kind {
        case file([UInt8])
        /// `count` zero bytes written in 1 MiB chunks (bomb material, compresses to almost nothing).
        case zeros(Int)
        case directory
        case symlink(String)
        case hardlink(String)
        case fifo
        case characterDevice
        case blockDevice
        case socket
    }

    struct Entry {
        var path: String
        var kind: Kind
        var mode: UInt32
        /// Seconds and nanoseconds; nil leaves the time unset in the entry.
        var mtime: (Int, Int)? = (1_700_000_000, 0)
        var atime: (Int, Int)? = nil

        init(_ path: String, _ kind: Kind, mode: UInt32? = nil) {
            self.path = path
            self.kind = kind
            if let mode {
                self.mode = mode
            } else if case .directory = kind {
                self.mode = 0o755
            } else {
                self.mode = 0o644
            }
        }

        static func file(_ path: String, _ text: String, mode: UInt32 = 0o644) -> Entry {
            Entry(path, .file(Array(text.utf8)), mode: mode)
        }
        static func dir(_ path: String, mode: UInt32 = 0o755) -> Entry { Entry(path, .directory, mode: mode) }
    }

    struct BuildError: Error, CustomStringConvertible { let description: String }

    /// Writes `entries` in order as a pax tar through `compression` to `path`.
    static func build(_ path: String, compression: Compression = .gzip, entries: [Entry]) throws {
        guard let archive = archive_write_new() else { throw BuildError(description: "archive_write_new") }
        defer { archive_write_free(archive) }
        switch compression {
        case .none: break
        case .gzip: archive_write_add_filter_gzip(archive)
        case .zstd: archive_write_add_filter_zstd(archive)
        case .xz: archive_write_add_filter_xz(archive)
        case .bzip2: archive_write_add_filter_bzip2(archive)
        }
        archive_write_set_format_pax_restricted(archive)
        guard archive_write_open_filename(archive, path) == ARCHIVE_OK else {
            throw BuildError(description: String(cString: archive_error_string(archive)))
        }
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        for spec in entries {
            let entry = archive_entry_new()
            defer { archive_entry_free(entry) }
            archive_entry_copy_pathname(entry, spec.path)
            archive_entry_set_perm(entry, mode_t(spec.mode))
            if let (seconds, nanoseconds) = spec.mtime { archive_entry_set_mtime(entry, seconds, nanoseconds) }
            if let (seconds, nanoseconds) = spec.atime { archive_entry_set_atime(entry, seconds, nanoseconds) }
            var payload: [UInt8] = []
            var zeros = 0
            switch spec.kind {
            case .file(let bytes):
                archive_entry_set_filetype(entry, 0o100000)
                payload = bytes
                archive_entry_set_size(entry, Int64(bytes.count))
            case .zeros(let count):
                archive_entry_set_filetype(entry, 0o100000)
                zeros = count
                archive_entry_set_size(entry, Int64(count))
            case .directory: archive_entry_set_filetype(entry, 0o040000)
            case .symlink(let target):
                archive_entry_set_filetype(entry, 0o120000)
                archive_entry_copy_symlink(entry, target)
            case .hardlink(let target):
                archive_entry_set_filetype(entry, 0o100000)
                archive_entry_copy_hardlink(entry, target)
                archive_entry_set_size(entry, 0)
            case .fifo: archive_entry_set_filetype(entry, 0o010000)
            case .characterDevice:
                archive_entry_set_filetype(entry, 0o020000)
                archive_entry_set_rdevmajor(entry, 1)
                archive_entry_set_rdevminor(entry, 3)
            case .blockDevice:
                archive_entry_set_filetype(entry, 0o060000)
                archive_entry_set_rdevmajor(entry, 8)
            case .socket: archive_entry_set_filetype(entry, 0o140000)
            }
            guard archive_write_header(archive, entry) >= ARCHIVE_WARN else {
                throw BuildError(description: String(cString: archive_error_string(archive)))
            }
            if !payload.isEmpty {
                _ = payload.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
            }
            while zeros > 0 {
                let n = min(zeros, chunk.count)
                _ = chunk.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, n) }
                zeros -= n
            }
        }
        guard archive_write_close(archive) == ARCHIVE_OK else {
            throw BuildError(description: String(cString: archive_error_string(archive)))
        }
    }
}

/// A fresh temp directory `<outer>/box/` holding `staging/`, `outside/`, a `canary` file and the
/// bottles; `<outer>` is private to this sandbox so the snapshot also covers the box's parent.
/// Removed on deinit. Immutable after init (all `let`), so concurrent test workers may read it.
final class UnpackSandbox: Sendable {
    let outer: String
    let root: String
    let staging: String
    let canary: String
    let outside: String

    init() throws {
        guard let resolved = realpath(FileManager.default.temporaryDirectory.path, nil) else {
            throw TestArchive.BuildError(description: "realpath of the temp directory failed")
        }
        outer = String(cString: resolved) + "/pour-unpack-" + UUID().uuidString
        free(resolved)
        root = outer + "/box"
        staging = root + "/staging"
        canary = root + "/canary"
        outside = root + "/outside"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try Data("canary\n".utf8).write(to: URL(fileURLWithPath: canary))
        try Data("outer canary\n".utf8).write(to: URL(fileURLWithPath: outer + "/canary"))
    }

    deinit {
        // Hostile tests may leave read-only directories behind; make everything writable first.
        _ = try? FileManager.default.subpathsOfDirectory(atPath: outer).forEach {
            var info = stat()
            if lstat(outer + "/" + $0, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { chmod(outer + "/" + $0, 0o755) }
        }
        try? FileManager.default.removeItem(atPath: outer)
    }

    func bottle(_ name: String = "bottle.tar.gz") -> String { root + "/" + name }

    /// Path, type, size, mode and mtime of everything under `<outer>` except `box/staging` and the
    /// bottles: equal before and after a hostile extraction means nothing escaped the staging directory.
    func snapshotOutsideStaging() -> [String] {
        var result: [String] = []
        func visit(_ path: String, _ relative: String) {
            var info = stat()
            guard lstat(path, &info) == 0 else { return }
            #if os(Linux)
                let modified = info.st_mtim
            #else
                let modified = info.st_mtimespec
            #endif
            result.append("\(relative) \(info.st_mode) \(info.st_size) \(modified.tv_sec).\(modified.tv_nsec)")
            if (info.st_mode & S_IFMT) == S_IFDIR,
               let children = try? FileManager.default.contentsOfDirectory(atPath: path) {
                for child in children.sorted()
                where !(relative == "/box" && (child == "staging" || child.hasPrefix("bottle"))) {
                    visit(path + "/" + child, relative + "/" + child)
                }
            }
        }
        visit(outer, "")
        return result
    }

    /// Everything under `staging/`, relative.
    func stagingContents() -> [String] {
        (FileManager.default.subpaths(atPath: staging) ?? []).sorted()
    }
}

final class UnpackTestSupportTests: XCTestCase {
    func testBuilderRoundTripsThroughBsdtarFormats() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [.dir("a/"), .file("a/b", "x")])
        XCTAssertGreaterThan((try FileManager.default.attributesOfItem(atPath: box.bottle())[.size] as? Int) ?? 0, 0)
    }
}
