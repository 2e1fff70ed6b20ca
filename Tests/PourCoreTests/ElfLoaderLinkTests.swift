import Foundation
import XCTest
@testable import PourCore

/// `<prefix>/lib/ld.so` maintenance.
final class ElfLoaderLinkTests: XCTestCase {
    private func readLink(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }

    private func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    func testCreatesLinkToTheSystemLoader() throws {
        guard let loader = LoaderLink.detectSystemLoader() else { throw XCTSkip("no known system loader on this machine") }
        let box = try ElfSandbox()
        let prefix = box.root + "/prefix"
        try LoaderLink.ensureLoaderLink(layout: PrefixLayout(prefix: prefix, cache: box.root + "/cache"))
        XCTAssertTrue(isSymlink(prefix + "/lib/ld.so"))
        XCTAssertEqual(readLink(prefix + "/lib/ld.so"), loader)
        XCTAssertEqual(access(prefix + "/lib/ld.so", R_OK), 0)
        // Idempotent.
        try LoaderLink.ensureLoaderLink(layout: PrefixLayout(prefix: prefix, cache: box.root + "/cache"))
        XCTAssertEqual(readLink(prefix + "/lib/ld.so"), loader)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: prefix + "/lib"), ["ld.so"])
    }

    func testReplacesWrongAndBrokenLinksButKeepsRealFiles() throws {
        let box = try ElfSandbox()
        let prefix = box.root + "/prefix"
        let layout = PrefixLayout(prefix: prefix, cache: box.root + "/cache")
        let target = box.root + "/fake-loader"
        try Data("loader".utf8).write(to: URL(fileURLWithPath: target))
        try FileManager.default.createDirectory(atPath: prefix + "/lib", withIntermediateDirectories: true)

        try FileManager.default.createSymbolicLink(atPath: prefix + "/lib/ld.so", withDestinationPath: "/nonexistent/ld.so")
        try LoaderLink.ensureLoaderLink(layout: layout, systemLoader: target)
        XCTAssertEqual(readLink(prefix + "/lib/ld.so"), target, "broken link replaced")

        try FileManager.default.removeItem(atPath: prefix + "/lib/ld.so")
        try FileManager.default.createSymbolicLink(atPath: prefix + "/lib/ld.so", withDestinationPath: box.root)
        try LoaderLink.ensureLoaderLink(layout: layout, systemLoader: target)
        XCTAssertEqual(readLink(prefix + "/lib/ld.so"), target, "wrong link replaced")

        try FileManager.default.removeItem(atPath: prefix + "/lib/ld.so")
        try Data("real".utf8).write(to: URL(fileURLWithPath: prefix + "/lib/ld.so"))
        try LoaderLink.ensureLoaderLink(layout: layout, systemLoader: target)
        XCTAssertFalse(isSymlink(prefix + "/lib/ld.so"), "a real file is never overwritten")
        XCTAssertEqual(FileManager.default.contents(atPath: prefix + "/lib/ld.so"), Data("real".utf8))
    }

    func testLeavesTheLinkToGlibcWhenAGlibcKegIsInstalled() throws {
        let box = try ElfSandbox()
        let prefix = box.root + "/prefix"
        try FileManager.default.createDirectory(atPath: prefix + "/opt", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: prefix + "/opt/glibc", withDestinationPath: "../Cellar/glibc/2.35")
        try LoaderLink.ensureLoaderLink(layout: PrefixLayout(prefix: prefix, cache: box.root + "/cache"), systemLoader: "/x")
        XCTAssertFalse(FileManager.default.fileExists(atPath: prefix + "/lib/ld.so"))
    }

    func testParserReadsTheRealSystemShell() throws {
        guard let bytes = ElfSandbox.bytes("/bin/sh"), ElfFile.hasMagic(bytes) else { throw XCTSkip("/bin/sh is not ELF") }
        let elf = try ElfFile(parsing: ElfSource(bytes: bytes, file: "/bin/sh"))
        XCTAssertTrue(elf.isDynamic)
        XCTAssertNotNil(elf.interpreter)
        XCTAssertTrue(elf.needed.contains { $0.hasPrefix("libc.so") }, "\(elf.needed)")
    }

    func testRulesForSearchPathsAndInterpreter() {
        let layout = PrefixLayout(prefix: "/opt/brew", cache: "/c")
        let table = Placeholders(layout: layout)
        XCTAssertEqual(ElfRelocationRules.searchPath("@@HOMEBREW_PREFIX@@/lib", placeholders: table, prefix: "/opt/brew"),
                       "/opt/brew/lib")
        XCTAssertEqual(ElfRelocationRules.searchPath("$ORIGIN/../lib:/usr/local/lib:@@HOMEBREW_CELLAR@@/x/1/lib::/opt/brewery/lib",
                                                     placeholders: table, prefix: "/opt/brew"),
                       "$ORIGIN/../lib:/opt/brew/Cellar/x/1/lib:/opt/brew/lib")
        XCTAssertEqual(ElfRelocationRules.searchPath("/usr/lib", placeholders: table, prefix: "/opt/brew"), "/opt/brew/lib")
        XCTAssertEqual(ElfRelocationRules.interpreter("@@HOMEBREW_PREFIX@@/opt/glibc/lib/ld.so", placeholders: table,
                                                      loaderLink: "/nonexistent/ld.so"),
                       "/opt/brew/opt/glibc/lib/ld.so")
        XCTAssertEqual(ElfRelocationRules.interpreter("/lib/ld.so", placeholders: table, loaderLink: "/bin/sh"), "/bin/sh")
    }
}
