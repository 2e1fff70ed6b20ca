import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Bottles and receipts in the shapes of Homebrew's own test fixtures
/// (`Library/Homebrew/test/support/fixtures/bottles/testball_bottle-0.1.*.bottle.tar.gz`,
/// `fixtures/receipt.json`, `fixtures/receipt_old.json`), written here from scratch: owner-only
/// directories, a read-only program, a hard link and a symlink to it, an AppleDouble `._` file,
/// and an old-style compact receipt with a placeholder in `source.path` and no
/// `homebrew_version` or `changed_files`.
final class BrewFixtureShapeTests: XCTestCase {
    func testTestballShapedBottlePoursAndRuns() throws {
        let fixture = try RegistryFixture(recipe: .custom([
            FormulaSpec(name: "testball_bottle", version: "0.1", targetCompressedSize: 8_000),
        ]))
        let root = "testball_bottle/0.1"
        let tab = #"{"used_options":[],"unused_options":[],"built_as_bottle":true,"poured_from_bottle":false,"time":1500000000,"HEAD":"0123456789abcdef0123456789abcdef01234567","stdlib":null,"compiler":"clang","source":{"path":"@@HOMEBREW_PREFIX@@/Library/Homebrew/test/testball_bottle.rb","tap":null,"spec":"stable"}}"#
        let program = "#!/bin/sh\necho \"hello from $(basename \"$0\") in @@HOMEBREW_PREFIX@@\"\n"
        let bottle = fixture.root.appendingPathComponent("testball.bottle.tar.gz").path
        try CustomBottle.writeArchive([
            .init(root, .directory, permissions: 0o700),
            .init("\(root)/INSTALL_RECEIPT.json", .file(contents: Array(tab.utf8)), permissions: 0o600),
            .init("\(root)/bin", .directory, permissions: 0o700),
            .init("\(root)/.brew", .directory, permissions: 0o755),
            .init("\(root)/libexec", .directory, permissions: 0o700),
            .init("\(root)/libexec/._NOOP", .file(contents: [0x00, 0x05, 0x16, 0x07, 0x00, 0x02, 0x00, 0x00]), permissions: 0o700),
            .init("\(root)/libexec/NOOP", .file(contents: Array("#!/bin/sh\nexit 0\n".utf8)), permissions: 0o700),
            .file("\(root)/.brew/testball_bottle.rb", "class TestballBottle < Formula\n  url \"file:///dev/null\"\nend\n"),
            .init("\(root)/bin/helloworld", .file(contents: Array(program.utf8)), permissions: 0o555),
            .init("\(root)/bin/hiworld", .hardlink(target: "\(root)/bin/helloworld"), permissions: 0o555),
            .init("\(root)/bin/goodbye_cruel_world", .symlink(target: "helloworld")),
        ], to: bottle)
        try CustomBottle.publish(bottleAt: bottle, as: "testball_bottle", in: fixture.registry, manifest: fixture.manifest)

        let configuration = fixture.configuration()
        let layout = configuration.layout
        let run = install(["testball_bottle"], configuration: configuration)
        XCTAssertEqual(run.report?.installed, ["testball_bottle"], "\(run.result)")
        let keg = layout.keg("testball_bottle", "0.1")
        for name in ["helloworld", "hiworld", "goodbye_cruel_world"] {
            let output = try runProgram(layout.prefix + "/bin/" + name)
            XCTAssertEqual(output, "hello from \(name) in \(layout.prefix)\n", name)
        }
        var a = stat(), b = stat()
        XCTAssertEqual(stat(keg + "/bin/helloworld", &a), 0)
        XCTAssertEqual(stat(keg + "/bin/hiworld", &b), 0)
        XCTAssertEqual(a.st_ino, b.st_ino, "the hard link survives text relocation")
        XCTAssertEqual(a.st_mode & 0o777, 0o555)

        // The receipt: brew's fields, the bottle's own kept where brew keeps them.
        let data = try XCTUnwrap(FileManager.default.contents(atPath: keg + "/INSTALL_RECEIPT.json"))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["poured_from_bottle"] as? Bool, true)
        XCTAssertEqual(object["built_as_bottle"] as? Bool, true)
        XCTAssertEqual(object["installed_on_request"] as? Bool, true)
        XCTAssertEqual(object["compiler"] as? String, "clang", "the builder's compiler")
        XCTAssertEqual(object["HEAD"] as? String, "0123456789abcdef0123456789abcdef01234567", "unmodelled tab fields kept")
        XCTAssertEqual(object["loaded_from_internal_api"] as? Bool, false)
        XCTAssertEqual(object["homebrew_version"] as? String, PourVersion.homebrewCompatible, "the tab has none")
        XCTAssertFalse(String(decoding: data, as: UTF8.self).contains("@@HOMEBREW"))
        let changed = object["changed_files"] as? [String] ?? []
        XCTAssertTrue(changed.contains("bin/helloworld") && changed.contains("bin/hiworld"), "no list in the tab: full scan, \(changed)")
    }

    private func runProgram(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
