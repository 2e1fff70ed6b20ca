import Foundation
import PourCore
import PourTestSupport
import XCTest

/// A full install of the sample graph (11 formulae: a diamond, keg-only, alias, revision,
/// uses_from_macos, a compiled ELF program) against the local ghcr-style server.
final class InstallGraphTests: XCTestCase {
    func testInstallsEveryKegWithLinksReceiptsAndRelocatedText() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let configuration = fixture.configuration()
        let layout = configuration.layout
        let requested = ["wget", "curl", "hello-world", "icu4c@76"]
        let run = install(requested, configuration: configuration)
        let report = try XCTUnwrap(run.report, "\(run.result)")
        XCTAssertTrue(report.succeeded, "\(report.packages)")
        XCTAssertEqual(Set(report.installed), Set(fixture.manifest.formulae.keys))
        XCTAssertGreaterThanOrEqual(report.installed.count, 10)

        for (name, entry) in fixture.manifest.formulae {
            let keg = layout.keg(name, entry.pkgVersion)
            for file in entry.files {
                XCTAssertTrue(FileManager.default.fileExists(atPath: keg + "/" + file) || isSymlink(keg + "/" + file),
                              "\(name): \(file) missing from the keg")
            }
            let opt = layout.opt + "/" + name
            XCTAssertTrue(isSymlink(opt), "opt link for \(name)")
            XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: opt), "../Cellar/\(name)/\(entry.pkgVersion)")

            let receiptData = try Data(contentsOf: URL(fileURLWithPath: keg + "/INSTALL_RECEIPT.json"))
            let receipt = try XCTUnwrap(JSONSerialization.jsonObject(with: receiptData) as? [String: Any])
            XCTAssertEqual(receipt["poured_from_bottle"] as? Bool, true)
            XCTAssertEqual(receipt["built_as_bottle"] as? Bool, true)
            let onRequest = ["wget", "curl", "hello", "icu4c@76"].contains(name)
            XCTAssertEqual(receipt["installed_on_request"] as? Bool, onRequest, name)
            XCTAssertEqual(receipt["installed_as_dependency"] as? Bool, !onRequest, name)
            let runtime = (receipt["runtime_dependencies"] as? [[String: Any]] ?? []).compactMap { $0["full_name"] as? String }
            for dependency in entry.dependencies { XCTAssertTrue(runtime.contains(dependency), "\(name) receipt lacks \(dependency)") }

            // Build facts come from the registry manifest's tab (the generator says glibc 2.35).
            XCTAssertEqual((receipt["built_on"] as? [String: Any])?["glibc_version"] as? String, "2.35", name)

            for changed in entry.changedFiles {
                let text = try String(contentsOfFile: keg + "/" + changed, encoding: .utf8)
                XCTAssertFalse(text.contains("@@HOMEBREW_"), "\(name): \(changed) still has placeholders")
            }
        }

        // Linked formulae: bin and var/homebrew/linked; keg-only: opt only.
        XCTAssertTrue(isSymlink(layout.prefix + "/bin/wget"))
        XCTAssertTrue(isSymlink(layout.linkedKegs + "/wget"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.linkedKegs + "/icu4c@76"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.prefix + "/bin/icu4c@76"))
        XCTAssertTrue(isSymlink(layout.opt + "/hello-world"), "alias opt link")

        // Text relocation reached the prefix path.
        let script = try String(contentsOfFile: layout.prefix + "/bin/wget", encoding: .utf8)
        XCTAssertTrue(script.contains(layout.prefix), script)

        // The compiled ELF program runs from the prefix.
        let hello = Process()
        hello.executableURL = URL(fileURLWithPath: layout.prefix + "/bin/hello-hello")
        let pipe = Pipe()
        hello.standardOutput = pipe
        try hello.run()
        hello.waitUntilExit()
        XCTAssertEqual(hello.terminationStatus, 0)
        XCTAssertTrue(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("hello from hello"))

        // Nothing left behind.
        XCTAssertEqual(tree(layout.staging), [])
        XCTAssertTrue(tree(layout.downloads).allSatisfy { !$0.hasSuffix(".incomplete") })
    }

    func testSecondRunFindsEverythingInstalledAndForceReinstallsOnlyRequested() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let configuration = fixture.configuration()
        XCTAssertEqual(install(["libidn2"], configuration: configuration).report?.installed.count, 3)
        let again = install(["libidn2"], configuration: configuration)
        XCTAssertEqual(again.report?.installed, [])
        XCTAssertEqual(Set(again.report?.alreadyInstalled ?? []), ["libidn2", "gettext", "libunistring"])
        let forced = install(["libidn2"], configuration: configuration, options: InstallOptions(force: true))
        XCTAssertEqual(forced.report?.installed, ["libidn2"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: configuration.layout.keg("libidn2", "2.3.7") + "/INSTALL_RECEIPT.json"))
    }

    func testUnknownNameSuggestsCloseMatches() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let run = install(["wgett"], configuration: fixture.configuration())
        guard case .failure(.resolve(let error)) = run.result else { return XCTFail("\(run.result)") }
        XCTAssertTrue(error.description.contains("wgett"), error.description)
        XCTAssertTrue(error.description.contains("wget"), error.description)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.prefix + "/Cellar/wget"))
    }

    func testNoLinkMakesOnlyOptLinks() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let configuration = fixture.configuration()
        let run = install(["gettext"], configuration: configuration, options: InstallOptions(link: false))
        XCTAssertEqual(run.report?.installed.sorted(), ["gettext", "libunistring"])
        XCTAssertTrue(isSymlink(configuration.layout.opt + "/gettext"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: configuration.layout.prefix + "/bin/gettext"))
    }
}
