import Foundation
import XCTest
@testable import PourCore

/// The linker's ownership decisions on names the kernel splits differently from Swift's
/// `Character`s (Docs/Design.md, "Bytes, not characters"): a `/` followed by a combining mark
/// (U+0301) is one `Character` but a separator on disk. Formula names and versions may start
/// with such a mark (`PathNames` refuses only what can escape: `/`, `..`, a leading `.`/`-`,
/// control characters). Real kegs, real links, checked on the filesystem.
final class LinkerBytesTests: XCTestCase {
    var box: KegSandbox!
    override func setUpWithError() throws { box = try KegSandbox() }
    override func tearDown() { box.destroy() }

    /// Where a prefix link leads, resolved on disk (nil if it is no link or leads nowhere).
    private func resolved(_ relative: String) -> String? {
        guard box.isSymlink(relative) else { return nil }
        return PosixFS.realPath(box.path(relative))
    }

    /// `share/foo` is first a link into the keg of a formula whose name starts with a combining
    /// mark; a second keg with `share/foo` turns it into a real directory holding both kegs' links
    /// (brew's `resolve_any_conflicts`). The owner of the first link is found on bytes: by
    /// `Character`s the mark went with the slash and the owner became the keg of formula `a`
    /// (another formula, here a decoy), whose files were linked instead.
    func testASharedDirectoryOfAKegWhoseNameStartsWithACombiningMarkStaysItsOwn() throws {
        let marked = "\u{301}a"
        let markedKeg = try box.keg(marked, "1.0", ["share/foo/marked.txt": "marked"])
        try box.keg("a", "1.0", ["share/foo/decoy.txt": "decoy"])
        let bKeg = try box.keg("b", "1.0", ["share/foo/b.txt": "b"])
        let linker = KegLinker(layout: box.layout)
        _ = try linker.link(name: marked, pkgVersion: "1.0")
        XCTAssertTrue(box.isSymlink("share/foo"), "one keg: the directory itself is linked")
        _ = try linker.link(name: "b", pkgVersion: "1.0")
        XCTAssertTrue(box.isRealDirectory("share/foo"), "two kegs: a real directory")
        XCTAssertEqual(resolved("share/foo/marked.txt"), markedKeg + "/share/foo/marked.txt")
        XCTAssertEqual(resolved("share/foo/b.txt"), bKeg + "/share/foo/b.txt")
        XCTAssertFalse(box.exists("share/foo/decoy.txt"), "nothing of formula a's keg is linked")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: box.path("share/foo")).sorted(), ["b.txt", "marked.txt"])
    }

    /// The same with the mark at the start of the version: by `Character`s the owner became
    /// `Cellar/a/<mark>1.0/share` with `foo` below it, so its links landed in `<prefix>/foo`.
    func testASharedDirectoryOfAKegWhoseVersionStartsWithACombiningMarkStaysItsOwn() throws {
        let version = "\u{301}1.0"
        let aKeg = try box.keg("a", version, ["share/foo/a.txt": "a"])
        let bKeg = try box.keg("b", "1.0", ["share/foo/b.txt": "b"])
        let linker = KegLinker(layout: box.layout)
        _ = try linker.link(name: "a", pkgVersion: version)
        _ = try linker.link(name: "b", pkgVersion: "1.0")
        XCTAssertTrue(box.isRealDirectory("share/foo"))
        XCTAssertEqual(resolved("share/foo/a.txt"), aKeg + "/share/foo/a.txt")
        XCTAssertEqual(resolved("share/foo/b.txt"), bKeg + "/share/foo/b.txt")
        XCTAssertFalse(box.exists("foo"), "nothing linked at the prefix's top")
    }

    /// `opt/<alias>` that points into another formula's rack is not the alias's to take, even
    /// when that keg is gone: decided on bytes, a rack whose name starts with a combining mark is
    /// still in the Cellar (by `Character`s the link looked like one leading outside every
    /// Cellar, and a dangling one of those is replaced).
    func testAnAliasDoesNotTakeAnOptLinkIntoARackWhoseNameStartsWithACombiningMark() throws {
        let keg = try box.keg("c", "1.0", ["bin/c": "x"])
        let other = box.layout.cellar + "/\u{301}v/1.0"
        try box.symlink(box.path("opt/al"), to: other)
        let linker = KegLinker(layout: box.layout)
        _ = try linker.link(name: "c", pkgVersion: "1.0", aliases: ["al"])
        XCTAssertEqual(resolved("opt/c"), keg)
        XCTAssertEqual(box.linkTarget("opt/al"), other, "another formula's opt link is left alone")
    }
}

extension LinkerBytesTests {
    /// Two formulae whose names are canonically equivalent but different bytes (`caf\u{E9}`,
    /// `cafe\u{301}`) are two racks. Unlinking one leaves the other's links; linking the second
    /// over the first's link is a conflict, not "already linked".
    func testCanonicallyEquivalentFormulaNamesAreTwoKegsToTheLinker() throws {
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        let mine = try box.keg(composed, "1.0", ["bin/tool": "mine"])
        try box.keg(decomposed, "1.0", ["bin/tool": "theirs"])
        let linker = KegLinker(layout: box.layout)
        _ = try linker.link(name: composed, pkgVersion: "1.0")
        XCTAssertEqual(resolved("bin/tool"), mine + "/bin/tool")

        let dry = try linker.link(name: decomposed, pkgVersion: "1.0", dryRun: true)
        XCTAssertEqual(dry.conflicts, [box.path("bin/tool")], "the other formula's link is a conflict")

        _ = try linker.unlink(name: decomposed, pkgVersion: "1.0")
        XCTAssertEqual(resolved("bin/tool"), mine + "/bin/tool", "unlinking the other formula left this one's link")
        XCTAssertEqual(resolved("opt/" + composed), mine)
    }
}
