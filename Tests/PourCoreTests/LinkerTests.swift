import Foundation
import XCTest
@testable import PourCore

final class LinkerTests: XCTestCase {
    var box: KegSandbox!
    var linker: KegLinker!
    override func setUpWithError() throws {
        box = try KegSandbox()
        linker = KegLinker(layout: box.layout)
    }
    override func tearDown() { box.destroy() }

    /// A keg shaped like real bottles: executables, a library symlink chain, man pages, docs,
    /// pkg-config, CMake, Python site-packages, locale data, completions, private lib dir, var.
    @discardableResult
    private func realisticKeg() throws -> String {
        try box.keg("foo", "1.2_1", [
            "bin/foo": "#!/bin/sh", "bin/foo-config": "->foo",
            "sbin/food": "x", "sbin/helpers/inner": "x",
            "etc/foo/foo.conf": "x", "etc/bash_completion.d/foo": "x",
            "include/foo.h": "x", "include/foo/detail.h": "x",
            "share/man/man1/foo.1": "x", "share/doc/foo/README": "x", "share/foo/data.txt": "x",
            "share/info/foo.info": "x", "share/info/dir": "x", "share/locale/fr/LC_MESSAGES/foo.mo": "x",
            "share/zsh/site-functions/_foo": "x",
            "lib/pkgconfig/foo.pc": "x", "lib/libfoo.so.1.2.3": "ELF", "lib/libfoo.so.1": "->libfoo.so.1.2.3",
            "lib/libfoo.so": "->libfoo.so.1", "lib/charset.alias": "x",
            "lib/python3.12/site-packages/foo/__init__.py": "x", "lib/python3.12/site-packages/foo/mod.pyc": "x",
            "lib/cmake/Foo/FooConfig.cmake": "x", "lib/foo/private.so": "x",
            "var/foo/state": "x",
        ])
    }

    func testRealisticKegIsLinkedByKegRbRules() throws {
        try realisticKeg()
        let report = try linker.link(name: "foo", pkgVersion: "1.2_1")
        let k = "Cellar/foo/1.2_1"
        XCTAssertEqual(box.linkTarget("opt/foo"), "../\(k)")
        XCTAssertEqual(box.linkTarget("var/homebrew/linked/foo"), "../../../\(k)")
        XCTAssertEqual(box.linkTarget("bin/foo"), "../\(k)/bin/foo")
        XCTAssertEqual(box.linkTarget("bin/foo-config"), "../\(k)/bin/foo-config")
        XCTAssertEqual(box.linkTarget("sbin/food"), "../\(k)/sbin/food")
        XCTAssertFalse(box.exists("sbin/helpers"), "subdirectories of sbin are not linked")
        XCTAssertTrue(box.isRealDirectory("etc/foo"))
        XCTAssertEqual(box.linkTarget("etc/foo/foo.conf"), "../../\(k)/etc/foo/foo.conf")
        XCTAssertEqual(box.linkTarget("include/foo.h"), "../\(k)/include/foo.h")
        XCTAssertEqual(box.linkTarget("include/foo"), "../\(k)/include/foo")
        XCTAssertTrue(box.isRealDirectory("share/man/man1"))
        XCTAssertEqual(box.linkTarget("share/man/man1/foo.1"), "../../../\(k)/share/man/man1/foo.1")
        XCTAssertTrue(box.isRealDirectory("share/doc"))
        XCTAssertEqual(box.linkTarget("share/doc/foo"), "../../\(k)/share/doc/foo")
        XCTAssertEqual(box.linkTarget("share/foo"), "../\(k)/share/foo")
        XCTAssertTrue(box.isRealDirectory("share/info"))
        XCTAssertNotNil(box.linkTarget("share/info/foo.info"))
        XCTAssertFalse(box.exists("share/info/dir"), "the per-keg info index is not linked")
        XCTAssertTrue(box.isRealDirectory("share/locale/fr/LC_MESSAGES"))
        XCTAssertNotNil(box.linkTarget("share/locale/fr/LC_MESSAGES/foo.mo"))
        XCTAssertTrue(box.isRealDirectory("share/zsh/site-functions"))
        XCTAssertTrue(box.isRealDirectory("lib/pkgconfig"))
        XCTAssertEqual(box.linkTarget("lib/pkgconfig/foo.pc"), "../../\(k)/lib/pkgconfig/foo.pc")
        XCTAssertEqual(box.linkTarget("lib/libfoo.so"), "../\(k)/lib/libfoo.so")
        XCTAssertEqual(try String(contentsOfFile: box.path("lib/libfoo.so"), encoding: .utf8), "ELF",
                       "the library symlink chain resolves through the keg")
        XCTAssertFalse(box.exists("lib/charset.alias"))
        XCTAssertTrue(box.isRealDirectory("lib/python3.12/site-packages/foo"))
        XCTAssertNotNil(box.linkTarget("lib/python3.12/site-packages/foo/__init__.py"))
        XCTAssertFalse(box.exists("lib/python3.12/site-packages/foo/mod.pyc"))
        XCTAssertTrue(box.isRealDirectory("lib/cmake"))
        XCTAssertEqual(box.linkTarget("lib/cmake/Foo"), "../../\(k)/lib/cmake/Foo")
        XCTAssertEqual(box.linkTarget("lib/foo"), "../\(k)/lib/foo")
        XCTAssertFalse(box.exists("var/foo"), "var is never linked")

        let linksOnDisk = box.prefixListing().filter { $0.contains(" -> ") }
        XCTAssertEqual(report.linksCreated, linksOnDisk.count)
        XCTAssertEqual(report.links.first, box.path("opt/foo"), "opt is linked first")
        XCTAssertEqual(report.links.last, box.path("var/homebrew/linked/foo"), "the linked record comes last")
        XCTAssertEqual(Cellar(layout: box.layout).linkedVersion(of: "foo"), "1.2_1")

        let again = try linker.link(name: "foo", pkgVersion: "1.2_1")
        XCTAssertEqual(again.linksCreated, 0, "relinking is a no-op")
    }

    func testDryRunChangesNothingAndPredictsTheLinks() throws {
        try realisticKeg()
        let before = box.prefixListing()
        let dry = try linker.link(name: "foo", pkgVersion: "1.2_1", dryRun: true)
        XCTAssertEqual(box.prefixListing(), before)
        let real = try linker.link(name: "foo", pkgVersion: "1.2_1")
        XCTAssertEqual(dry.links, real.links)
        XCTAssertEqual(dry.conflicts, [])
    }

    func testKegOnlyGetsOnlyOptLinks() throws {
        try box.keg("openssl@3", "3.3.2", ["bin/openssl": "x", "lib/libssl.so": "x"])
        let formula = Formula(name: "openssl@3", aliases: ["openssl"], version: "3.3.2", kegOnly: true)
        let report = try linker.link(formula)
        XCTAssertEqual(box.prefixListing(), [
            "opt/", "opt/openssl -> ../Cellar/openssl@3/3.3.2", "opt/openssl@3 -> ../Cellar/openssl@3/3.3.2",
        ])
        XCTAssertEqual(report.linksCreated, 2)
    }

    func testConflictWithRealFileNamesBothPathsAndRollsBackEverything() throws {
        try box.keg("foo", "1.0", ["bin/aaa": "x", "bin/zzz": "x", "etc/foo.conf": "x", "share/doc/foo/README": "x",
                                   "lib/libfoo.so": "x"])
        try box.write(box.path("lib/libfoo.so"), "someone else's")
        try box.mkdir(box.path("bin"))
        let before = box.prefixListing()
        XCTAssertThrowsError(try linker.link(name: "foo", pkgVersion: "1.0")) { error in
            XCTAssertEqual(error as? KegError, .linkConflict(
                package: "foo", path: box.path("lib/libfoo.so"), existing: "a file not owned by any keg",
                source: box.layout.keg("foo", "1.0") + "/lib/libfoo.so"))
            let text = (error as? KegError)?.description ?? ""
            XCTAssertTrue(text.contains(box.path("lib/libfoo.so")) && text.contains(box.layout.keg("foo", "1.0")), text)
        }
        XCTAssertEqual(box.prefixListing(), before, "opt, bin, etc and share links are all rolled back")
        XCTAssertEqual(try String(contentsOfFile: box.path("lib/libfoo.so"), encoding: .utf8), "someone else's")
    }

    func testConflictWithLinkIntoAnotherKeg() throws {
        try box.keg("bar", "2.0", ["bin/tool": "x"])
        try linker.link(name: "bar", pkgVersion: "2.0")
        try box.keg("foo", "1.0", ["bin/tool": "x"])
        let before = box.prefixListing()
        XCTAssertThrowsError(try linker.link(name: "foo", pkgVersion: "1.0")) { error in
            guard case let .linkConflict(package, path, existing, _) = error as? KegError else { return XCTFail("\(error)") }
            XCTAssertEqual(package, "foo")
            XCTAssertEqual(path, box.path("bin/tool"))
            XCTAssertTrue(existing.contains("bar 2.0"), existing)
        }
        XCTAssertEqual(box.prefixListing(), before)
    }

    func testOverwriteAndLinkOverwriteReplaceConflicts() throws {
        try box.keg("foo", "1.0", ["bin/tool": "x", "share/foo-data": "x"])
        try box.write(box.path("bin/tool"), "stray")
        try box.write(box.path("share/foo-data"), "stray")
        let dry = try linker.link(name: "foo", pkgVersion: "1.0", dryRun: true)
        XCTAssertEqual(Set(dry.conflicts), [box.path("bin/tool"), box.path("share/foo-data")])

        let globbed = try linker.link(name: "foo", pkgVersion: "1.0", linkOverwrite: ["bin/t*", "share/foo-data"])
        XCTAssertEqual(Set(globbed.replaced), [box.path("bin/tool"), box.path("share/foo-data")])
        XCTAssertNotNil(box.linkTarget("bin/tool"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: box.layout.staging + "/.link-backup-\(getpid())-foo"),
                       "overwritten files are deleted once the link succeeds")

        try linker.unlink(name: "foo", pkgVersion: "1.0")
        try box.write(box.path("bin/tool"), "stray")
        try linker.link(name: "foo", pkgVersion: "1.0", overwrite: true)
        XCTAssertNotNil(box.linkTarget("bin/tool"))
    }

    func testBrokenSymlinkIsReplaced() throws {
        try box.keg("foo", "1.0", ["bin/foo": "x"])
        try box.symlink(box.path("bin/foo"), to: "../Cellar/foo/0.9/bin/foo")
        let report = try linker.link(name: "foo", pkgVersion: "1.0")
        XCTAssertEqual(box.linkTarget("bin/foo"), "../Cellar/foo/1.0/bin/foo")
        XCTAssertEqual(report.replaced, [box.path("bin/foo")])
    }

    func testWholeDirectoryLinkIsSplitForASecondKegAndRestoredByUnlink() throws {
        try box.keg("a", "1", ["share/thing/a.txt": "a", "share/thing/sub/a2.txt": "a"])
        try linker.link(name: "a", pkgVersion: "1")
        XCTAssertEqual(box.linkTarget("share/thing"), "../Cellar/a/1/share/thing", "absent directory linked whole")

        try box.keg("b", "1", ["share/thing/b.txt": "b"])
        let report = try linker.link(name: "b", pkgVersion: "1")
        XCTAssertTrue(box.isRealDirectory("share/thing"))
        XCTAssertEqual(box.linkTarget("share/thing/a.txt"), "../../Cellar/a/1/share/thing/a.txt")
        XCTAssertEqual(box.linkTarget("share/thing/sub/a2.txt"), "../../../Cellar/a/1/share/thing/sub/a2.txt")
        XCTAssertEqual(box.linkTarget("share/thing/b.txt"), "../../Cellar/b/1/share/thing/b.txt")
        XCTAssertEqual(report.replaced, [box.path("share/thing")])
        XCTAssertEqual(report.relinkedForOtherKegs.count, 2)

        try linker.unlink(name: "b", pkgVersion: "1")
        XCTAssertFalse(box.exists("share/thing/b.txt"))
        XCTAssertNotNil(box.linkTarget("share/thing/a.txt"), "a's links survive b's unlink")
        try linker.unlink(name: "a", pkgVersion: "1")
        XCTAssertFalse(box.exists("share/thing"), "emptied directories are pruned")
    }

    func testFailedLinkRestoresASplitDirectory() throws {
        try box.keg("a", "1", ["share/thing/a.txt": "a"])
        try linker.link(name: "a", pkgVersion: "1")
        try box.keg("b", "1", ["share/thing/b.txt": "b", "lib/libb.so": "x"])
        try box.write(box.path("lib/libb.so"), "stray")
        let before = box.prefixListing()
        XCTAssertThrowsError(try linker.link(name: "b", pkgVersion: "1"))
        XCTAssertEqual(box.prefixListing(), before)
        XCTAssertEqual(box.linkTarget("share/thing"), "../Cellar/a/1/share/thing")
    }

    func testUnlinkLeavesThePrefixClean() throws {
        try realisticKeg()
        try linker.link(name: "foo", pkgVersion: "1.2_1")
        let report = try linker.unlink(name: "foo", pkgVersion: "1.2_1")
        XCTAssertFalse(report.removedLinks.isEmpty)
        let kept: Set<String> = ["bin/", "etc/", "include/", "lib/", "sbin/", "share/", "opt/", "var/", "var/homebrew/",
                                 "var/homebrew/linked/"]
        let left = box.prefixListing()
        XCTAssertTrue(Set(left).isSubset(of: kept), "left behind: \(Set(left).subtracting(kept).sorted())")
        XCTAssertNil(Cellar(layout: box.layout).linkedVersion(of: "foo"))
        XCTAssertNil(Cellar(layout: box.layout).optVersion(of: "foo"))
    }

    func testAnotherLinkedVersionMustBeUnlinkedFirst() throws {
        try box.keg("foo", "1.0", ["bin/foo": "x"])
        try box.keg("foo", "2.0", ["bin/foo": "x"])
        try linker.link(name: "foo", pkgVersion: "1.0")
        XCTAssertThrowsError(try linker.link(name: "foo", pkgVersion: "2.0")) { error in
            XCTAssertEqual(error as? KegError, .alreadyLinked(package: "foo", linkedKeg: box.layout.keg("foo", "1.0")))
        }
        try linker.unlink(name: "foo", pkgVersion: "1.0", keepOpt: true)
        XCTAssertNotNil(box.linkTarget("opt/foo"), "keepOpt behaves like brew unlink")
        try linker.link(name: "foo", pkgVersion: "2.0")
        XCTAssertEqual(box.linkTarget("opt/foo"), "../Cellar/foo/2.0", "opt moves to the new version")
        XCTAssertEqual(box.linkTarget("bin/foo"), "../Cellar/foo/2.0/bin/foo")
    }

    func testMissingKegAndCancellation() throws {
        XCTAssertThrowsError(try linker.link(name: "nope", pkgVersion: "1")) { error in
            XCTAssertEqual(error as? KegError, .kegNotFound(package: "nope", path: box.layout.keg("nope", "1")))
        }
        try realisticKeg()
        let flag = CancellationFlag()
        flag.cancel()
        XCTAssertThrowsError(try linker.link(name: "foo", pkgVersion: "1.2_1", cancellation: flag)) { error in
            XCTAssertEqual(error as? KegError, .cancelled(package: "foo"))
        }
        XCTAssertEqual(box.prefixListing(), [])
    }

    /// Thousands of files link and unlink completely (speed is a benchmark's business, not a test's).
    func testLinkingThousandsOfFilesLinksAndUnlinksEveryOne() throws {
        let keg = try box.keg("big", "1", [:])
        for (dir, count) in [("share/man/man3", 3000), ("bin", 1000), ("lib/python3.12/site-packages/pkg", 1000)] {
            try box.mkdir(keg + "/" + dir)
            for i in 0..<count { _ = FileManager.default.createFile(atPath: "\(keg)/\(dir)/f\(i)", contents: nil) }
        }
        let report = try linker.link(name: "big", pkgVersion: "1")
        XCTAssertEqual(report.linksCreated, 5002)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: box.layout.prefix + "/share/man/man3").count, 3000)
        try linker.unlink(name: "big", pkgVersion: "1")
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: box.layout.prefix + "/bin"))?.count ?? 0, 0)
    }

    func testRuleTable() {
        XCTAssertEqual(LinkRules.action(top: "share", relative: "man/man1"), .mkpath)
        XCTAssertEqual(LinkRules.action(top: "share", relative: "doc/foo"), .link)
        XCTAssertEqual(LinkRules.action(top: "share", relative: "info/foo.info"), .info)
        XCTAssertEqual(LinkRules.action(top: "share", relative: "locale/locale.alias"), .skipFile)
        XCTAssertEqual(LinkRules.action(top: "share", relative: "locale/pt_BR"), .mkpath)
        XCTAssertEqual(LinkRules.action(top: "share", relative: "icons/hicolor/icon-theme.cache"), .skipFile)
        XCTAssertEqual(LinkRules.action(top: "share", relative: "fish/vendor_completions.d"), .mkpath)
        XCTAssertEqual(LinkRules.action(top: "share", relative: "lua/5.4"), .mkpath)
        XCTAssertEqual(LinkRules.action(top: "lib", relative: "python3.12"), .mkpath)
        XCTAssertEqual(LinkRules.action(top: "lib", relative: "python3"), .link)
        XCTAssertEqual(LinkRules.action(top: "lib", relative: "perl5/site_perl"), .mkpath)
        XCTAssertEqual(LinkRules.action(top: "lib", relative: "pkgconfig"), .mkpath)
        XCTAssertEqual(LinkRules.action(top: "lib", relative: "pkgconfig/sub"), .link)
        XCTAssertEqual(LinkRules.action(top: "lib", relative: "node_modules"), .mkpath)
        XCTAssertEqual(LinkRules.action(top: "include", relative: "postgresql@16"), .mkpath)
        XCTAssertEqual(LinkRules.action(top: "include", relative: "openssl"), .link)
        XCTAssertTrue(LinkOperation.glob("bin/*", "bin/a/b"))
        XCTAssertFalse(LinkOperation.glob("bin/x*", "bin/a"))
    }
}
