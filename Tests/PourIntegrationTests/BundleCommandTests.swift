import Foundation
import PourCore
import PourTestSupport
import XCTest

/// `pour bundle`, `bundle check` and `bundle dump` driven through the real binary against the
/// local registry.
final class BundleCommandTests: XCTestCase {
    /// A Brewfile shaped like real ones: taps, comments, options, platform conditions, a Ruby
    /// block and loop, casks, mas, vscode and whalebrew entries.
    static let brewfile = """
        # Brewfile for the team's machines (brew bundle dump, then edited)
        tap "homebrew/core"
        tap "homebrew/bundle"
        tap "acme/tools"

        # command line tools
        brew "lib"
        brew "tool", args: ["with-extra"], restart_service: :changed
        brew "zeta", link: false
        brew "Homebrew/core/alpha"   # full name, any case
        brew("beta", conflicts_with: ["gamma"])
        brew "acme/tools/widget"
        brew "delta" if OS.linux?
        brew "epsilon" if OS.mac?
        brew "omega", start_service: true,
                      link: true

        if OS.mac?
          brew "macos-only"
          cask "iterm2"
        else
          brew "linux-extra"
        end

        if ENV["CI"]
          brew "ci-only"
        end

        %w[extra1 extra2].each do |name|
          brew name
        end

        cask "firefox"
        cask_args appdir: "/Applications"
        mas "Keynote", id: 409183694
        vscode "ms-python.python"
        whalebrew "whalebrew/wget"
        brew "eta" # last one
        """

    static let installedNames = ["alpha", "beta", "delta", "eta", "lib", "linux-extra", "omega", "tool", "zeta"]

    private func recipe(toolVersion: String = "1.0", depVersion: String = "1.0") -> RegistryRecipe {
        var specs = ["lib", "zeta", "alpha", "delta", "epsilon", "omega", "macos-only", "linux-extra", "ci-only",
                     "extra1", "extra2", "eta"].map { FormulaSpec(name: $0, version: "1.0", targetCompressedSize: 20_000) }
        specs.append(FormulaSpec(name: "dep", version: depVersion, targetCompressedSize: 20_000))
        specs.append(FormulaSpec(name: "kegonly", version: "1.0", kegOnly: true, kegOnlyReason: ":versioned_formula",
                                 targetCompressedSize: 20_000))
        specs.append(FormulaSpec(name: "beta", version: "1.0", dependencies: ["dep"], targetCompressedSize: 20_000))
        specs.append(FormulaSpec(name: "tool", version: toolVersion, dependencies: ["lib"], targetCompressedSize: 20_000))
        return .custom(specs)
    }

    private func writeBrewfile(_ fixture: RegistryFixture, _ text: String = BundleCommandTests.brewfile) throws -> String {
        let path = fixture.root.appendingPathComponent("Brewfile").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testBundleInstallsTheBrewfileInOneRunAndReportsWhatItSkips() throws {
        let fixture = try RegistryFixture(recipe: recipe())
        let path = try writeBrewfile(fixture)
        let layout = fixture.configuration().layout
        XCTAssertGreaterThanOrEqual(BundleCommandTests.brewfile.split(separator: "\n").count, 20)

        let run = try fixture.pour(["bundle", "--file", path, "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)

        // One install run: a single resolve and a single plan holding every formula.
        let events = run.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(events.filter { $0["event"] as? String == "resolving" }.count, 1, run.stdout)
        let plans = events.filter { $0["event"] as? String == "planned" }
        XCTAssertEqual(plans.count, 1)
        let planned = (plans.first?["install"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        XCTAssertEqual(Set(planned), Set(BundleCommandTests.installedNames + ["dep"]))

        let installed = try FileManager.default.contentsOfDirectory(atPath: layout.cellar).sorted()
        XCTAssertEqual(installed, (BundleCommandTests.installedNames + ["dep"]).sorted())
        for name in ["epsilon", "macos-only", "ci-only", "extra1", "extra2"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: layout.cellar + "/" + name), name)
        }
        // link: false → only the opt link; the others are linked.
        XCTAssertNotNil(symlinkTarget(layout.opt + "/zeta"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.prefix + "/bin/zeta"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.linkedKegs + "/zeta"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.prefix + "/bin/tool"))
        // Listed formulae are installed on request; a pulled-in dependency is not.
        XCTAssertEqual(receiptFlag(layout, "lib", "1.0"), true)
        XCTAssertEqual(receiptFlag(layout, "dep", "1.0"), false)

        // Every line pour did not act on is reported with path:line.
        let expected: [(line: Int, text: String)] = [
            (3, "tap \"homebrew/bundle\" skipped"), (4, "tap \"acme/tools\" skipped"), (8, "`args:"),
            (8, "`restart_service: :changed` not applied"), (11, "`conflicts_with:"), (12, "acme/tools"),
            (14, "`brew \"epsilon\"` not installed"), (15, "`start_service: true` not applied"),
            (19, "`brew \"macos-only\"` not installed"), (20, "cask \"iterm2\""), (26, "`brew \"ci-only\"` not installed"),
            (26, "cannot evaluate"), (30, "not installed"), (33, "cask \"firefox\" skipped"), (34, "cask_args"),
            (35, "mas \"Keynote\" skipped"), (36, "vscode \"ms-python.python\" skipped"), (37, "whalebrew \"whalebrew/wget\" skipped"),
        ]
        for (line, text) in expected {
            XCTAssertTrue(run.errorLines.contains { $0.contains("\(path):\(line): ") && $0.contains(text) },
                          "line \(line) «\(text)» not reported:\n\(run.stderr)")
        }
        for line in [7, 9, 10, 13, 16, 22, 38] {
            XCTAssertFalse(run.errorLines.contains { $0.contains("\(path):\(line): ") }, "line \(line) needs no report:\n\(run.stderr)")
        }

        // A second run has nothing to download.
        let again = try fixture.pour(["bundle", "--file", path, "--json"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertFalse(again.stdout.contains("\"download_started\""), again.stdout)
    }

    func testCheckDumpAndUpgrade() throws {
        let fixture = try RegistryFixture(recipe: recipe())
        let path = try writeBrewfile(fixture, """
            brew "lib"
            brew "tool"
            brew "zeta", link: false
            brew "kegonly", link: true
            cask "firefox"
            """)
        let layout = fixture.configuration().layout
        let fresh = ["HOMEBREW_API_AUTO_UPDATE_SECS": "0"]

        let missing = try fixture.pour(["bundle", "check", "--file", path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.lines, ["→ Formula lib needs to be installed.", "→ Formula tool needs to be installed.",
                                       "→ Formula zeta needs to be installed.", "→ Formula kegonly needs to be installed."])

        // HOMEBREW_BUNDLE_FILE and the working directory's Brewfile are found like brew finds them.
        XCTAssertEqual(try fixture.pour(["bundle"], extraEnvironment: ["HOMEBREW_BUNDLE_FILE": path]).status, 0)
        XCTAssertEqual(try fixture.pour(["bundle", "check"], directory: fixture.root.path).status, 0)
        // `link: true` links a keg-only formula (brew's `link --force`).
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.prefix + "/bin/kegonly"))
        let satisfied = try fixture.pour(["bundle", "check", "--file", path])
        XCTAssertEqual(satisfied.lines, ["The Brewfile's dependencies are satisfied."])

        // A linked `link: false` formula is reported, and `bundle` unlinks it.
        XCTAssertEqual(try fixture.pour(["link", "zeta"]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.prefix + "/bin/zeta"))
        XCTAssertEqual(try fixture.pour(["bundle", "check", "--file", path]).lines, ["→ Formula zeta needs to be unlinked."])
        XCTAssertEqual(try fixture.pour(["bundle", "--file", path]).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.prefix + "/bin/zeta"))

        // dump: the formulae installed on request, dependencies before dependents; no overwrite without --force.
        XCTAssertEqual(try fixture.pour(["install", "eta"]).status, 0)
        let out = fixture.root.appendingPathComponent("Dumped").path
        XCTAssertEqual(try fixture.pour(["bundle", "dump", "--file", out]).status, 0)
        let dumped = String(decoding: FileManager.default.contents(atPath: out) ?? Data(), as: UTF8.self)
        XCTAssertEqual(dumped, "brew \"eta\"\nbrew \"kegonly\", link: true\nbrew \"lib\"\nbrew \"tool\"\nbrew \"zeta\", link: false\n")
        XCTAssertEqual(try fixture.pour(["bundle", "dump", "--file", out]).status, 1)
        XCTAssertEqual(try fixture.pour(["bundle", "dump", "--file", "-"]).stdout, dumped)
        // A dumped Brewfile is satisfied by the prefix it came from.
        XCTAssertEqual(try fixture.pour(["bundle", "check", "--file", out]).status, 0)

        // A new version: check reports it, --no-upgrade keeps the old one, bundle upgrades it.
        _ = try RegistryGenerator(recipe: recipe(toolVersion: "1.1")).generate(into: fixture.registry)
        XCTAssertEqual(try fixture.pour(["bundle", "check", "--file", path], extraEnvironment: fresh).lines,
                       ["→ Formula tool needs to be upgraded."])
        XCTAssertEqual(try fixture.pour(["bundle", "check", "--no-upgrade", "--file", path], extraEnvironment: fresh).status, 0)
        XCTAssertEqual(try fixture.pour(["bundle", "--no-upgrade", "--file", path], extraEnvironment: fresh).status, 0)
        XCTAssertEqual(symlinkTarget(layout.opt + "/tool"), "../Cellar/tool/1.0")
        let upgrade = try fixture.pour(["bundle", "--file", path], extraEnvironment: fresh)
        XCTAssertEqual(upgrade.status, 0, upgrade.stderr)
        XCTAssertEqual(symlinkTarget(layout.opt + "/tool"), "../Cellar/tool/1.1")
        XCTAssertEqual(receiptFlag(layout, "tool", "1.1"), true)
        XCTAssertEqual(try fixture.pour(["bundle", "check", "--file", path], extraEnvironment: fresh).status, 0)
    }

    func testAnUpgradedDependencyKeepsItsRequestFlag() throws {
        let fixture = try RegistryFixture(recipe: recipe())
        let layout = fixture.configuration().layout
        XCTAssertEqual(try fixture.pour(["install", "dep"]).status, 0)
        _ = try RegistryGenerator(recipe: recipe(depVersion: "1.1")).generate(into: fixture.registry)
        let path = try writeBrewfile(fixture, "brew \"beta\"\n")
        let run = try fixture.pour(["bundle", "--file", path], extraEnvironment: ["HOMEBREW_API_AUTO_UPDATE_SECS": "0"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(symlinkTarget(layout.opt + "/dep"), "../Cellar/dep/1.1", "pulled in at the new version")
        XCTAssertEqual(receiptFlag(layout, "dep", "1.1"), true, "requested before, so still requested")
        XCTAssertEqual(receiptFlag(layout, "beta", "1.0"), true)
    }

    func testBrewfileErrorsNameTheFileAndLine() throws {
        let fixture = try RegistryFixture(recipe: recipe())
        let path = try writeBrewfile(fixture, "brew \"lib\"\nbrew \"tool\", args: [\"x\"\nbrew \"zeta\"\n")
        let run = try fixture.pour(["bundle", "--file", path])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("\(path):2: "), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.prefix + "/Cellar"), "nothing installed")
        // An entry the catalogue does not know fails that line only: the others are installed.
        let unknown = try writeBrewfile(fixture, "brew \"lib\"\nbrew \"no-such-formula\"\nbrew \"zeta\"\n")
        let partial = try fixture.pour(["bundle", "--file", unknown])
        XCTAssertEqual(partial.status, 1)
        XCTAssertTrue(partial.errorLines.contains { $0.hasPrefix("Error: \(unknown):2: brew \"no-such-formula\"") }, partial.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: fixture.prefix + "/Cellar").sorted(), ["lib", "zeta"])

        let absent = try fixture.pour(["bundle", "--file", path + ".missing"])
        XCTAssertEqual(absent.status, 1)
        XCTAssertTrue(absent.stderr.contains(path + ".missing"), absent.stderr)
    }
}
