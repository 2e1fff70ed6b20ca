import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Post-install (issue 15) into prefixes whose own path is not ASCII, through the real installer:
/// the sample registry's `ca-certificates` and `openssl@3` with their post-installs (bundle copied
/// to `etc/ca-certificates/cert.pem`, `etc/openssl@3/cert.pem → ../ca-certificates/cert.pem`,
/// where brew's `pkgetc` and `install_symlink` put them). The planner and the confinement cut the
/// prefix off the paths they plan: on bytes, since the kernel reads bytes (Docs/Design.md,
/// "Bytes, not characters").
final class PostInstallPrefixBytesTests: XCTestCase {
    private static let bundle = "-----BEGIN CERTIFICATE-----\nMIIBdemo\n-----END CERTIFICATE-----\n"

    private func kind(_ path: String) -> String {
        var info = stat()
        guard lstat(path, &info) == 0 else { return "missing" }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return "file"
        case S_IFLNK: return "link"
        case S_IFDIR: return "dir"
        default: return "other"
        }
    }

    /// Installs wget (which brings openssl@3 and ca-certificates) into `<root>/<components…>` and
    /// checks the post-install effects on disk; returns the prefix.
    @discardableResult
    private func installChain(into components: [String], decoys: [String] = [],
                              file: StaticString = #filePath, line: UInt = #line) throws -> (RegistryFixture, String) {
        let fixture = try RegistryFixture(recipe: RegistryRecipe.sample().withCertificateChain(bundle: Self.bundle))
        for decoy in decoys {
            try FileManager.default.createDirectory(atPath: fixture.root.path + "/" + decoy, withIntermediateDirectories: true)
        }
        let prefix = fixture.root.path + "/" + components.joined(separator: "/")
        let configuration = fixture.configuration(prefix: prefix)
        let run = install(["wget"], configuration: configuration, file: file, line: line)
        XCTAssertEqual(run.report?.succeeded, true, "\(run.result)", file: file, line: line)
        XCTAssertEqual(run.report?.postInstallNotRun.map(\.command), [], file: file, line: line)
        let ran = run.events.compactMap { if case .postInstallRan(let name, _) = $0.event { name } else { nil } }
        XCTAssertEqual(Set(ran), ["ca-certificates", "openssl@3"], file: file, line: line)

        XCTAssertEqual(kind(prefix + "/etc/ca-certificates/cert.pem"), "file", file: file, line: line)
        XCTAssertEqual(try? String(contentsOfFile: prefix + "/etc/ca-certificates/cert.pem", encoding: .utf8), Self.bundle,
                       file: file, line: line)
        XCTAssertEqual(kind(prefix + "/etc/openssl@3/cert.pem"), "link", file: file, line: line)
        XCTAssertEqual(try? FileManager.default.destinationOfSymbolicLink(atPath: prefix + "/etc/openssl@3/cert.pem"),
                       "../ca-certificates/cert.pem", file: file, line: line)
        XCTAssertEqual(try? String(contentsOfFile: prefix + "/etc/openssl@3/cert.pem", encoding: .utf8), Self.bundle,
                       file: file, line: line)
        // Nothing else at the prefix's top than an install makes, and the decoys stay empty.
        let top = Set((try? FileManager.default.contentsOfDirectory(atPath: prefix)) ?? [])
        XCTAssertTrue(top.isSubset(of: ["Cellar", "bin", "etc", "include", "lib", "opt", "sbin", "share", "var"]), "\(top.sorted())",
                      file: file, line: line)
        XCTAssertEqual(Set((try? FileManager.default.contentsOfDirectory(atPath: prefix + "/etc")) ?? []),
                       ["ca-certificates", "openssl@3"], file: file, line: line)
        for decoy in decoys {
            XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: fixture.root.path + "/" + decoy)) ?? ["?"], [],
                           "decoy \(decoy.unicodeScalars.map { String($0.value, radix: 16) }) untouched", file: file, line: line)
        }
        return (fixture, prefix)
    }

    /// A decomposed `é` and a component that starts with a combining mark (`/\u{301}brew`: one
    /// `Character` with its slash, a separator to the kernel); beside it the precomposed spelling,
    /// another directory on disk, as a decoy.
    func testPostInstallIntoAPrefixWithCombiningMarks() throws {
        try installChain(into: ["cafe\u{301}", "\u{301}brew"], decoys: ["caf\u{E9}/\u{301}brew"])
    }

    /// A prefix whose last component ends in U+0600 ARABIC NUMBER SIGN, a grapheme "prepend"
    /// character: in a path below the prefix it forms one `Character` with the `/` that follows,
    /// so cutting the prefix off by its `Character` count took one character too many (`etc/…`
    /// became `tc/…`, `/Cellar/…` lost its slash).
    func testPostInstallIntoAPrefixEndingInAPrependCharacter() throws {
        try installChain(into: ["brew\u{600}"])
    }
}
