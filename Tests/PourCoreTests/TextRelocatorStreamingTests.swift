import Foundation
import XCTest
@testable import PourCore

/// Issue 13, class 6: large text files are relocated in blocks through an O_EXCL temp file, and
/// the result is byte-identical to the in-memory path, whatever the block boundaries cut.
final class TextRelocatorStreamingTests: XCTestCase {
    private let layout = PrefixLayout(prefix: "/home/linuxbrew/.linuxbrew", cache: "/tmp/cache")

    private func keg(_ box: UnpackSandbox, _ name: String, _ files: [String: [UInt8]]) throws -> String {
        let keg = box.staging + "/\(name)/1.0"
        for (relative, bytes) in files {
            let path = keg + "/" + relative
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        return keg
    }

    func testStreamedRelocationMatchesInMemoryAcrossEveryBlockBoundary() throws {
        let box = try UnpackSandbox()
        let placeholders = Placeholders(layout: layout, runtimeDependencies: [])
        // Placeholders at shifting offsets, an unknown token, and one at the very end.
        var text = ""
        for index in 0..<300 {
            text += String(repeating: "x", count: index % 37) + "@@HOMEBREW_PREFIX@@/bin:" + "@@HOMEBREW_BOGUS@@"
            text += index % 5 == 0 ? "@@HOMEBREW_CELLAR@@" : "\n"
        }
        text += "@@HOMEBREW_PREFIX@@"
        let files = ["share/big.txt": Array(text.utf8), "share/plain.txt": Array(String(repeating: "y", count: 5000).utf8)]
        let reference = try keg(box, "ref", files)
        XCTAssertEqual(try TextRelocator.relocate(kegAt: reference, placeholders: placeholders), ["share/big.txt"])
        let expected = try Data(contentsOf: URL(fileURLWithPath: reference + "/share/big.txt"))
        for blockSize in [64, 97, 128, 1000, 4096] {
            let streamed = try keg(box, "s\(blockSize)", files)
            let changed = try TextRelocator.relocate(kegAt: streamed, placeholders: placeholders, streamingAbove: 100, blockSize: blockSize)
            XCTAssertEqual(changed, ["share/big.txt"], "block \(blockSize)")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: streamed + "/share/big.txt")), expected, "block \(blockSize)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: streamed + "/share").sorted(), ["big.txt", "plain.txt"],
                           "no temp file left")
        }
    }

    func testStreamedRelocationKeepsHardLinksAndModeAndSkipsBinaries() throws {
        let box = try UnpackSandbox()
        let placeholders = Placeholders(layout: layout, runtimeDependencies: [])
        var binary = Array(String(repeating: "@@HOMEBREW_PREFIX@@ ", count: 100).utf8)
        binary.append(0)  // a NUL past the first block: still binary
        let path = try keg(box, "foo", ["bin/tool": Array(String(repeating: "#@@HOMEBREW_PREFIX@@\n", count: 200).utf8),
                                       "lib/blob": binary])
        chmod(path + "/bin/tool", 0o555)
        XCTAssertEqual(link(path + "/bin/tool", path + "/bin/tool-alias"), 0)
        let changed = try TextRelocator.relocate(kegAt: path, placeholders: placeholders, streamingAbove: 100, blockSize: 64)
        XCTAssertEqual(changed, ["bin/tool"], "hard links are rewritten once")
        var a = stat(), b = stat()
        XCTAssertEqual(lstat(path + "/bin/tool", &a), 0)
        XCTAssertEqual(lstat(path + "/bin/tool-alias", &b), 0)
        XCTAssertEqual(a.st_ino, b.st_ino, "the links still share one inode")
        XCTAssertEqual(a.st_mode & 0o7777, 0o555)
        XCTAssertEqual(try String(contentsOfFile: path + "/bin/tool-alias", encoding: .utf8),
                       String(repeating: "#/home/linuxbrew/.linuxbrew\n", count: 200))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path + "/lib/blob")), Data(binary))
    }
}
