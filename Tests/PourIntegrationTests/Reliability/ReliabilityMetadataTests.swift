import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Issue #8, part 5: hostile or broken formula metadata ends in a clear error naming what is
/// wrong — never a crash, a hang, or a write outside the prefix.
final class ReliabilityMetadataTests: XCTestCase {
    private func registry(_ specs: [FormulaSpec]) throws -> RegistryFixture {
        try RegistryFixture(recipe: .custom(specs + [FormulaSpec(name: "good", targetCompressedSize: 20_000)]))
    }

    private func message(_ run: InstallRecording) -> String {
        switch run.result {
        case .failure(let error): return error.description
        case .success(let report): return report.packages.compactMap { package -> String? in
            if case .failed(let failure) = package.outcome { return failure.description }
            return nil
        }.joined(separator: "\n")
        }
    }

    private func assertNothingInstalled(_ fixture: RegistryFixture, file: StaticString = #filePath, line: UInt = #line) {
        let layout = fixture.configuration().layout
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: layout.cellar)) ?? [], [], file: file, line: line)
        assertConsistentPrefix(layout: layout, manifest: fixture.manifest, file: file, line: line)
    }

    func testDependencyCycleIsNamed() throws {
        let fixture = try registry([FormulaSpec(name: "x", dependencies: ["y"], targetCompressedSize: 20_000),
                                    FormulaSpec(name: "y", dependencies: ["z"], targetCompressedSize: 20_000),
                                    FormulaSpec(name: "z", dependencies: ["x"], targetCompressedSize: 20_000)])
        let run = install(["x", "good"], configuration: fixture.configuration())
        guard case .failure(.resolve(.dependencyCycle(let path))) = run.result else { return XCTFail("\(run.result)") }
        XCTAssertTrue(Set(path).isSuperset(of: ["x", "y", "z"]), "\(path)")
        print("cycle → \(message(run))")
        XCTAssertTrue(message(run).contains("x") && message(run).contains("z"))
        XCTAssertEqual(fixture.server.log.entries.filter { $0.path.contains("/blobs/") }.count, 0, "nothing downloaded")
        assertNothingInstalled(fixture)
    }

    func testMissingDependencyIsNamed() throws {
        let fixture = try registry([FormulaSpec(name: "x", dependencies: ["ghost"], targetCompressedSize: 20_000)])
        let run = install(["x", "good"], configuration: fixture.configuration())
        print("missing → \(message(run))")
        guard case .failure(let error) = run.result else { return XCTFail("\(run.result)") }
        XCTAssertTrue(error.description.contains("ghost"), error.description)
        assertNothingInstalled(fixture)
    }

    func testHugeStringsAreHarmless() throws {
        let fixture = try registry([FormulaSpec(name: "x", targetCompressedSize: 20_000, caveats: "caveat", desc: "short")])
        let huge = String(repeating: "A", count: 4 << 20)
        try CustomBottle.editFormulaJSON(in: fixture.registry, name: "x") { text in
            text.replacingOccurrences(of: "\"desc\":\"short\"", with: "\"desc\":\"\(huge)\"")
                .replacingOccurrences(of: "\"caveats\":\"caveat\"", with: "\"caveats\":\"\(huge.prefix(1 << 20))\"")
        }
        let run = install(["x", "good"], configuration: fixture.configuration())
        assertOutcomes(run, installed: ["x", "good"])
        assertConsistentPrefix(layout: fixture.configuration().layout, manifest: fixture.manifest)
    }

    func testAbsurdOrPathLikeVersionIsAClearPerPackageErrorBeforeAnyDownload() throws {
        // Longer than a file name may be; a path climbing out of the cache and the Cellar.
        for version in [String(repeating: "9", count: 300), "1.0/../../../../../pwned", ".."] {
            // A version no other formula has: the edit also applies to the whole formula.json.
            let fixture = try registry([FormulaSpec(name: "x", version: "1.0.77", targetCompressedSize: 20_000),
                                        FormulaSpec(name: "y", dependencies: ["x"], targetCompressedSize: 20_000)])
            try CustomBottle.editFormulaJSON(in: fixture.registry, name: "x") { text in
                text.replacingOccurrences(of: "\"stable\":\"1.0.77\"", with: "\"stable\":\"\(version)\"")
            }
            let before = Reliability.snapshot(fixture.root.path, excluding: ["prefix", "cache"])
            let run = install(["y", "good"], configuration: fixture.configuration())
            print("version \(version.prefix(30)) → \(message(run))")
            // Issue 13: a version that cannot be a path is refused when the metadata is decoded
            // (PathNames), so the run stops before any download, naming the formula.
            guard case .failure(let error) = run.result else { XCTFail("\(run.result)"); continue }
            XCTAssertTrue(error.description.contains("Formula 'x' has an unsafe versions.stable"), error.description)
            XCTAssertEqual(fixture.server.log.entries.filter { $0.path.hasSuffix(fixture.sha256(of: "x")) }.count, 0, "refused before downloading")
            XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.configuration().layout.cellar + "/x"))
            XCTAssertEqual(Reliability.snapshot(fixture.root.path, excluding: ["prefix", "cache"]), before)
            XCTAssertFalse(tree(fixture.root.path).contains { $0.hasSuffix("pwned") || $0.contains("pwned.") })
            assertConsistentPrefix(layout: fixture.configuration().layout, manifest: fixture.manifest)
        }
    }

    func testAbsurdNumbersAreRejectedOrIgnored() throws {
        let fixture = try registry([FormulaSpec(name: "x", targetCompressedSize: 20_000)])
        try CustomBottle.editFormulaJSON(in: fixture.registry, name: "x") { text in
            text.replacingOccurrences(of: "\"revision\":0", with: "\"revision\":99999999999999999999999999")
                .replacingOccurrences(of: "\"rebuild\":0", with: "\"rebuild\":-7")
        }
        let run = install(["x", "good"], configuration: fixture.configuration())
        print("absurd numbers → \(run.result)")
        // Either the formula is refused with a message naming it, or the numbers are tolerated;
        // "good" is never affected when the run proceeds, and nothing half-installed remains.
        if case .failure(let error) = run.result { XCTAssertTrue(error.description.contains("x"), error.description) }
        if let report = run.report { XCTAssertEqual(report.packages.first { $0.name == "good" }?.outcome, .installed) }
        assertConsistentPrefix(layout: fixture.configuration().layout, manifest: fixture.manifest)
    }

    func testPlainHTTPBottleURLIsRefusedWithoutAnyRequest() throws {
        let fixture = try registry([FormulaSpec(name: "x", targetCompressedSize: 20_000),
                                    FormulaSpec(name: "y", dependencies: ["x"], targetCompressedSize: 20_000)])
        try CustomBottle.editFormulaJSON(in: fixture.registry, name: "x") { text in
            text.replacingOccurrences(of: "https://ghcr.io/v2/homebrew/core/x/blobs/", with: "http://bottles.example.invalid/x/blobs/")
        }
        let run = install(["y", "good"], configuration: fixture.configuration())
        assertOutcomes(run, installed: ["good"], failed: ["x"], skipped: ["y"])
        guard case .failed(.download(.insecureURL(let url)))? = run.outcome("x") else { return XCTFail("\(String(describing: run.outcome("x")))") }
        XCTAssertTrue(url.hasPrefix("http://bottles.example.invalid/"))
        print("http bottle → \(message(run))")
        XCTAssertTrue(message(run).contains("--insecure"))
        assertConsistentPrefix(layout: fixture.configuration().layout, manifest: fixture.manifest)
    }

    func testPlainHTTPMetadataDomainIsRefused() throws {
        let fixture = try registry([])
        var configuration = fixture.configuration()
        configuration.endpoints.apiDomain = "http://formulae.example.invalid/api"
        let run = install(["good"], configuration: configuration)
        guard case .failure(let error) = run.result else { return XCTFail("\(run.result)") }
        print("http api → \(error.description)")
        XCTAssertTrue(error.description.contains("refusing plain-HTTP URL http://formulae.example.invalid/api"), error.description)
        XCTAssertEqual(fixture.server.log.requestCount, 0)
    }

    func testInsecureOptInAndLoopbackPolicy() {
        XCTAssertTrue(InsecureURLPolicy.isInsecure("http://ghcr.io/v2/x"))
        XCTAssertTrue(InsecureURLPolicy.isInsecure("HTTP://mirror.example.com/b.tar.gz"))
        XCTAssertTrue(InsecureURLPolicy.isInsecure("http://127.0.0.1.example.com/"))
        XCTAssertFalse(InsecureURLPolicy.isInsecure("http://127.0.0.1:8080/b"))
        XCTAssertFalse(InsecureURLPolicy.isInsecure("http://localhost/b"))
        XCTAssertFalse(InsecureURLPolicy.isInsecure("http://[::1]:80/b"))
        XCTAssertFalse(InsecureURLPolicy.isInsecure("https://ghcr.io/v2/x"))
        XCTAssertFalse(InsecureURLPolicy.isInsecure("file:///srv/bottles/x.tar.gz"))
        XCTAssertFalse(InstallConfiguration.fromEnvironment([:]).allowInsecureHTTP)
        XCTAssertTrue(InstallConfiguration.fromEnvironment(["POUR_ALLOW_INSECURE_HTTP": "1"]).allowInsecureHTTP)
        XCTAssertFalse(InstallConfiguration.fromEnvironment(["POUR_ALLOW_INSECURE_HTTP": "0"]).allowInsecureHTTP)
    }

    func testNamesWithSlashOrDotDotAreRefused() throws {
        let fixture = try registry([])
        for name in ["../evil", "a/b", "..", "evil/../../x", "/etc/passwd"] {
            let run = install([name], configuration: fixture.configuration())
            guard case .failure(let error) = run.result else { XCTFail("\(name): \(run.result)"); continue }
            print("name \(name) → \(error.description)")
        }
        XCTAssertFalse(fixture.server.log.entries.contains { $0.path.contains("..") }, "no request with ..")
        assertNothingInstalled(fixture)
    }

    func testFormulaJSONNamingAnotherPathIsRefused() throws {
        let fixture = try registry([FormulaSpec(name: "evil", targetCompressedSize: 20_000)])
        try CustomBottle.editFormulaJSON(in: fixture.registry, name: "evil") { text in
            text.replacingOccurrences(of: "\"name\":\"evil\"", with: "\"name\":\"../../../outside\"")
                .replacingOccurrences(of: "\"full_name\":\"evil\"", with: "\"full_name\":\"../../../outside\"")
        }
        let before = Reliability.snapshot(fixture.root.path, excluding: ["prefix", "cache"])
        let run = install(["evil", "good"], configuration: fixture.configuration())
        print("json name ../ → \(run.result)")
        XCTAssertNotEqual(run.report?.succeeded, true)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("outside").path))
        XCTAssertEqual(Reliability.snapshot(fixture.root.path, excluding: ["prefix", "cache"]), before)
        XCTAssertFalse(tree(fixture.root.path).contains { $0.contains("outside") }, "\(tree(fixture.root.path).filter { $0.contains("outside") })")
    }
}
