import Foundation
import XCTest
@testable import PourCore

/// Issue 13, class 1/2: the containment primitive on a real filesystem.
final class BeneathRootTests: XCTestCase {
    private var base = ""

    override func setUpWithError() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("pour-beneath-\(UUID().uuidString)").path
        for directory in ["root/a/b/c", "root/bin", "outside"] {
            try FileManager.default.createDirectory(atPath: base + "/" + directory, withIntermediateDirectories: true)
        }
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: base + "/outside/secret"))
        try FileManager.default.createSymbolicLink(atPath: base + "/root/a/b/c/up", withDestinationPath: "../../..")
        try FileManager.default.createSymbolicLink(atPath: base + "/root/out", withDestinationPath: "../outside")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: base) }

    func testLinkChainsAreResolvedPhysically() throws {
        let root = try BeneathRoot(path: base + "/root")
        XCTAssertEqual(root.resolveLink(at: "bin/ok", target: "../a/b/c/up/bin"), .inside(["bin"]))
        XCTAssertEqual(root.resolveLink(at: "bin/esc", target: "../a/b/c/up/../outside/secret"), .escapes,
                       "lexically inside, physically one level above the root")
        XCTAssertEqual(root.resolveLink(at: "bin/x", target: "/etc/passwd"), .escapes)
        XCTAssertEqual(root.resolveLink(at: "bin/x", target: "../out/secret"), .escapes)
        XCTAssertEqual(root.resolveLink(at: "bin/x", target: "../missing/../../x"), .escapes, "a dangling tail is lexical")
        try FileManager.default.createSymbolicLink(atPath: base + "/root/loop", withDestinationPath: "loop")
        XCTAssertEqual(root.resolveLink(at: "bin/x", target: "../loop"), .escapes, "a loop is refused")
    }

    func testWritesNeverGoThroughLinks() throws {
        try writesNeverGoThroughLinks(useOpenat2: BeneathRoot.openat2Available)
    }

    /// The `openat(O_NOFOLLOW)` walk used where the kernel has no `openat2` gives the same answers.
    func testWritesNeverGoThroughLinksWithTheFallbackWalk() throws {
        try writesNeverGoThroughLinks(useOpenat2: false)
    }

    private func writesNeverGoThroughLinks(useOpenat2: Bool) throws {
        let root = try BeneathRoot(path: base + "/root", useOpenat2: useOpenat2)
        XCTAssertThrowsError(try root.openDirectory("out")) { XCTAssertEqual(($0 as? ContainmentError)?.code, ELOOP) }
        XCTAssertThrowsError(try root.status("out/secret")) { XCTAssertEqual(($0 as? ContainmentError)?.code, ELOOP) }
        XCTAssertNotNil(try root.status("out"), "the link itself is visible (lstat)")
        XCTAssertThrowsError(try root.replaceFile("out/secret") { _ in 0 }) { XCTAssertEqual(($0 as? ContainmentError)?.code, ELOOP) }
        XCTAssertThrowsError(try root.makeDirectories("out/new")) { XCTAssertEqual(($0 as? ContainmentError)?.code, ELOOP) }
        XCTAssertThrowsError(try root.openFile("out/secret")) { XCTAssertEqual(($0 as? ContainmentError)?.code, ELOOP) }
        XCTAssertThrowsError(try root.createExclusive("a/b/c/up/pwned")) { XCTAssertEqual(($0 as? ContainmentError)?.code, ELOOP) }
        XCTAssertThrowsError(try root.makeDirectories("../x"))
        // A link at the final name is replaced by the new file, its target untouched.
        try root.replaceFile("out") { fd in write(fd, "new", 3) == 3 ? 0 : errno }
        XCTAssertEqual(try String(contentsOfFile: base + "/root/out", encoding: .utf8), "new")
        XCTAssertEqual(try String(contentsOfFile: base + "/outside/secret", encoding: .utf8), "secret\n")
    }

    /// `makeDirectories` answers with one `openat2` when the path (or all but its last component)
    /// is there; the component walk gives the same results, created paths and refusals.
    func testMakeDirectoriesAnswersAsTheComponentWalk() throws {
        try FileManager.default.createDirectory(atPath: base + "/root2", withIntermediateDirectories: true)
        for useOpenat2 in [false, BeneathRoot.openat2Available] {
            let tag = useOpenat2 ? "openat2" : "walk"
            let root = try BeneathRoot(path: base + "/root", useOpenat2: useOpenat2)
            XCTAssertEqual(try root.makeDirectories("a/b/c"), [], tag)
            XCTAssertEqual(try root.makeDirectories("a/b/\(tag)"), ["a/b/\(tag)"], tag)
            XCTAssertEqual(try root.makeDirectories("\(tag)"), ["\(tag)"], tag)
            XCTAssertEqual(try root.makeDirectories("a/\(tag)-x/y"), ["a/\(tag)-x", "a/\(tag)-x/y"], tag)
            var info = stat()
            for made in ["a/b/\(tag)", tag, "a/\(tag)-x/y"] {
                XCTAssertEqual(lstat(base + "/root/" + made, &info), 0, made)
                XCTAssertEqual(info.st_mode & S_IFMT, S_IFDIR, made)
            }
            XCTAssertThrowsError(try root.makeDirectories("out"), tag) { XCTAssertEqual(($0 as? ContainmentError)?.code, ELOOP) }
            XCTAssertThrowsError(try root.makeDirectories("out/new"), tag) { XCTAssertEqual(($0 as? ContainmentError)?.code, ELOOP) }
            XCTAssertThrowsError(try root.makeDirectories("a/b/c/up/new"), tag) {
                XCTAssertEqual(($0 as? ContainmentError)?.code, ELOOP)
            }
            try Data("f".utf8).write(to: URL(fileURLWithPath: base + "/root/file-\(tag)"))
            XCTAssertThrowsError(try root.makeDirectories("file-\(tag)/new"), tag)
            XCTAssertThrowsError(try root.makeDirectories("file-\(tag)"), tag)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/outside/new"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: base + "/outside"), ["secret"])
    }

    func testRemovalNeverFollowsLinks() throws {
        try FileManager.default.createSymbolicLink(atPath: base + "/root/a/tooutside", withDestinationPath: base + "/outside")
        let root = try BeneathRoot(path: base + "/root")
        try root.removeContents("")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: base + "/root"), [])
        XCTAssertEqual(try String(contentsOfFile: base + "/outside/secret", encoding: .utf8), "secret\n")
        // A root that is itself a link is refused when asked to be real.
        try FileManager.default.createSymbolicLink(atPath: base + "/linkroot", withDestinationPath: base + "/outside")
        XCTAssertThrowsError(try BeneathRoot(path: base + "/linkroot", refuseLinkAtRoot: true))
    }
}
