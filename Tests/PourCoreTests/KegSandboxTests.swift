import Foundation
import XCTest
@testable import PourCore

/// A throw-away Homebrew prefix under the temp directory, with helpers to build kegs in it.
/// Used by the Keg/Link/Receipt/Lock tests; one per test, removed in tearDown.
final class KegSandbox {
    let root: String
    let layout: PrefixLayout

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/pour-keg-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        root = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath().path
        layout = PrefixLayout(prefix: root + "/prefix", cache: root + "/cache")
        try FileManager.default.createDirectory(atPath: layout.prefix, withIntermediateDirectories: true)
    }

    func destroy() { try? FileManager.default.removeItem(atPath: root) }

    func path(_ relative: String) -> String { layout.prefix + "/" + relative }

    func write(_ path: String, _ text: String = "x") throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func mkdir(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func symlink(_ path: String, to target: String) throws {
        try mkdir((path as NSString).deletingLastPathComponent)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    /// Builds `Cellar/<name>/<version>` with `files` (keg-relative; a value starting with "->"
    /// makes a symlink, a trailing "/" in the key a directory) and a receipt.
    @discardableResult
    func keg(_ name: String, _ version: String, _ files: [String: String], receipt: Bool = true) throws -> String {
        let keg = layout.keg(name, version)
        try mkdir(keg)
        for (relative, content) in files {
            if relative.hasSuffix("/") { try mkdir(keg + "/" + relative); continue }
            if content.hasPrefix("->") {
                try symlink(keg + "/" + relative, to: String(content.dropFirst(2)))
            } else {
                try write(keg + "/" + relative, content)
            }
        }
        if receipt { try write(keg + "/INSTALL_RECEIPT.json", "{}") }
        return keg
    }

    func linkTarget(_ relative: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path(relative))
    }

    func isSymlink(_ relative: String) -> Bool {
        var st = stat()
        return lstat(path(relative), &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    func isRealDirectory(_ relative: String) -> Bool {
        var st = stat()
        return lstat(path(relative), &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    func exists(_ relative: String) -> Bool {
        var st = stat()
        return lstat(path(relative), &st) == 0
    }

    /// Every entry below the prefix except the Cellar, as "path" / "path/" / "path -> target".
    func prefixListing(excluding: [String] = ["Cellar"]) -> [String] {
        var result: [String] = []
        func walk(_ relative: String) {
            let full = relative.isEmpty ? layout.prefix : path(relative)
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: full)) ?? []).sorted() {
                let child = relative.isEmpty ? name : relative + "/" + name
                if excluding.contains(child) { continue }
                var st = stat()
                lstat(path(child), &st)
                switch st.st_mode & S_IFMT {
                case S_IFLNK: result.append(child + " -> " + (linkTarget(child) ?? "?"))
                case S_IFDIR: result.append(child + "/"); walk(child)
                default: result.append(child)
                }
            }
        }
        walk("")
        return result
    }
}

/// Sanity checks of the sandbox itself, so a broken fixture is not mistaken for a pour bug.
final class KegSandboxTests: XCTestCase {
    func testSandboxBuildsKegsWithFilesLinksAndDirectories() throws {
        let box = try KegSandbox()
        defer { box.destroy() }
        let keg = try box.keg("foo", "1.0", ["bin/foo": "#!/bin/sh", "lib/libfoo.so": "->libfoo.so.1", "share/x/": ""])
        XCTAssertTrue(FileManager.default.fileExists(atPath: keg + "/bin/foo"))
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: keg + "/lib/libfoo.so"), "libfoo.so.1")
        XCTAssertTrue(box.isRealDirectory("Cellar/foo/1.0/share/x"))
    }
}
