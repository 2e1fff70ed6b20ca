import Foundation
import XCTest
@testable import PourCore

/// A formula JSON object in the shape brew's own API tests load (`test/formulary_spec.rb`,
/// `formula_json_contents`), written here with pour's values: what pour installs from it and how
/// it shows its caveats must match what brew does with the same object.
final class BrewFormulaJSONShapeTests: XCTestCase {
    private let object = #"""
    [{"name": "shapeball", "desc": "shape test", "homepage": "https://example.invalid", "installed": [],
      "outdated": false, "pinned": false, "license": "MIT", "revision": 0, "version_scheme": 0,
      "versions": {"stable": "0.2"},
      "urls": {"stable": {"url": "https://example.invalid/shapeball-0.2.tar.gz", "tag": null, "revision": null}},
      "bottle": {"stable": {"rebuild": 0, "root_url": "https://ghcr.io/v2/homebrew/core",
        "files": {"x86_64_linux": {"cellar": ":any",
          "url": "https://ghcr.io/v2/homebrew/core/shapeball/blobs/sha256:0f343b0931126a20f133d67c2b018a3b5e5b8b3f8cd3d4e8ad3b1a40dcc5ee1a",
          "sha256": "0f343b0931126a20f133d67c2b018a3b5e5b8b3f8cd3d4e8ad3b1a40dcc5ee1a"}}}},
      "keg_only_reason": {"reason": ":provided_by_macos", "explanation": ""},
      "build_dependencies": ["build_dep"], "dependencies": ["dep"], "test_dependencies": ["test_dep"],
      "recommended_dependencies": ["recommended_dep"], "optional_dependencies": ["optional_dep"],
      "uses_from_macos": ["uses_from_macos_dep"],
      "requirements": [{"name": "xcode", "cask": null, "download": null, "version": "1.0", "contexts": ["build"], "specs": ["stable"]}],
      "conflicts_with": ["conflicting_formula"], "conflicts_with_reasons": ["it does"], "link_overwrite": ["bin/abc"],
      "linked_keg": null, "caveats": "example caveat string\n/$HOME\n$HOMEBREW_PREFIX",
      "service": {"run": ["$HOMEBREW_PREFIX/opt/shapeball/bin/shapeball", "serve"], "run_type": "immediate", "working_dir": "/$HOME"},
      "ruby_source_path": "Formula/s/shapeball.rb", "ruby_source_checksum": {"sha256": "0000"},
      "tap_git_head": "0000000000000000000000000000000000000000"}]
    """#

    func testWhatIsInstalledAndShown() throws {
        let catalog = try FormulaCatalog(tag: BottleTag("x86_64_linux"), formulaArray: Data(object.utf8))
        let formula = try XCTUnwrap(catalog.formula(named: "shapeball"))
        // On Linux uses_from_macos is a runtime dependency; recommended is installed by default;
        // build, test and optional never (formula_installer.rb#expand_dependencies).
        XCTAssertEqual(formula.installDependencies, ["dep", "uses_from_macos_dep", "recommended_dep"])
        XCTAssertEqual(formula.bottle?.cellar, .any)
        XCTAssertFalse(formula.kegOnly, ":provided_by_macos is not keg-only on Linux")
        XCTAssertEqual(formula.linkOverwrite, ["bin/abc"])
        // formulary_spec.rb expects "example caveat string\n#{Dir.home}\n#{HOMEBREW_PREFIX}".
        let layout = PrefixLayout(prefix: "/home/linuxbrew/.linuxbrew", cache: "/tmp/cache")
        XCTAssertEqual(formula.caveats.map { FormulaPlaceholders.replace($0, layout: layout, home: "/home/u") },
                       "example caveat string\n/home/u\n/home/linuxbrew/.linuxbrew")
    }
}
