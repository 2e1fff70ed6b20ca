import Foundation
import PourTestSupport
import XCTest

final class RegistryGeneratorTests: XCTestCase {
    private func sample() throws -> (URL, RegistryManifest) { try Fixtures.sample.get() }

    /// Extracts a bottle with the system tar into a fresh directory and returns the keg path.
    private func extract(_ name: String) throws -> (keg: URL, entry: RegistryManifest.Entry) {
        let (root, manifest) = try sample()
        let entry = try XCTUnwrap(manifest.formulae[name])
        let destination = Fixtures.temporaryDirectory("extract-\(name)")
        let blob = root.appendingPathComponent("blobs/sha256:\(entry.sha256)").path
        let (status, _) = try runProgram("/bin/tar", ["-xzf", blob, "-C", destination.path])
        XCTAssertEqual(status, 0, "tar failed on \(blob)")
        return (destination.appendingPathComponent("\(name)/\(entry.pkgVersion)"), entry)
    }

    private func nonDirectoryPaths(under keg: URL) throws -> [String] {
        var paths: [String] = []
        let enumerator = try XCTUnwrap(FileManager.default.enumerator(atPath: keg.path))
        while let relative = enumerator.nextObject() as? String {
            var info = stat()
            XCTAssertEqual(lstat(keg.appendingPathComponent(relative).path, &info), 0)
            if (info.st_mode & S_IFMT) != S_IFDIR { paths.append(relative) }
        }
        return paths.sorted()
    }

    func testBottleMembersMatchManifestAndCarryPlaceholdersLinksAndHardlinks() throws {
        let (keg, entry) = try extract("hello")
        XCTAssertEqual(try nonDirectoryPaths(under: keg), entry.files, "manifest file list must match the tarball")
        for required in [".brew/hello.rb", "bin/hello", "bin/hello-link", "share/hello/README.txt",
                         "share/hello/copy.txt", "lib/pkgconfig/hello.pc", "include/hello.h",
                         "share/man/man1/hello.1", "sbom.spdx.json", "lib/libhello.so", "bin/hello-hello"] {
            XCTAssertTrue(entry.files.contains(required), "missing \(required)")
        }
        let script = try String(contentsOf: keg.appendingPathComponent("bin/hello"), encoding: .utf8)
        XCTAssertTrue(script.hasPrefix("#!/bin/bash\n"))
        XCTAssertTrue(script.contains("@@HOMEBREW_PREFIX@@"))
        let readme = try String(contentsOf: keg.appendingPathComponent("share/hello/README.txt"), encoding: .utf8)
        XCTAssertTrue(readme.contains("@@HOMEBREW_PREFIX@@") && readme.contains("@@HOMEBREW_CELLAR@@"))
        let pc = try String(contentsOf: keg.appendingPathComponent("lib/pkgconfig/hello.pc"), encoding: .utf8)
        XCTAssertTrue(pc.hasPrefix("prefix=@@HOMEBREW_CELLAR@@/hello/2.12.1\n"))

        let link = try FileManager.default.destinationOfSymbolicLink(atPath: keg.appendingPathComponent("bin/hello-link").path)
        XCTAssertEqual(link, "hello")
        var original = stat(), copy = stat()
        XCTAssertEqual(stat(keg.appendingPathComponent("share/hello/README.txt").path, &original), 0)
        XCTAssertEqual(stat(keg.appendingPathComponent("share/hello/copy.txt").path, &copy), 0)
        XCTAssertEqual(original.st_ino, copy.st_ino, "copy.txt must be a hardlink of README.txt")
        XCTAssertEqual(original.st_nlink, 2)
        XCTAssertTrue(entry.changedFiles.contains("share/hello/README.txt"))
        XCTAssertFalse(entry.changedFiles.contains("bin/hello-link"))
    }

    func testRelocatableELFProgramRunsFromTheExtractedKeg() throws {
        let (keg, _) = try extract("hello")
        let (status, output) = try runProgram(keg.appendingPathComponent("bin/hello-hello").path, [])
        XCTAssertEqual(status, 0)
        XCTAssertEqual(output, "hello from hello: library hello 2.12.1\n")
    }

    func testPlaceholderELFCarriesPlaceholderInterpreterAndRunpath() throws {
        let (root, manifest) = try Fixtures.generate(.custom([
            FormulaSpec(name: "relocme", cellar: .any, targetCompressedSize: 8 << 10, elf: .placeholder),
        ]), name: "placeholder-elf")
        let entry = try XCTUnwrap(manifest.formulae["relocme"])
        XCTAssertEqual(entry.cellar, ":any")
        let destination = Fixtures.temporaryDirectory("extract-relocme")
        try runProgram("/bin/tar", ["-xzf", root.appendingPathComponent("blobs/sha256:\(entry.sha256)").path,
                                    "-C", destination.path])
        let program = try Data(contentsOf: destination.appendingPathComponent("relocme/1.0.0/bin/relocme-hello"))
        XCTAssertEqual(Array(program.prefix(4)), [0x7F, 0x45, 0x4C, 0x46], "not an ELF file")
        XCTAssertNotNil(program.range(of: Data("@@HOMEBREW_PREFIX@@/lib/ld.so".utf8)))
        XCTAssertNotNil(program.range(of: Data("@@HOMEBREW_PREFIX@@/lib".utf8)))
        XCTAssertNil(program.range(of: Data("$ORIGIN".utf8)))
    }

    func testPinnedCellarAndBottleEtcFiles() throws {
        let (root, manifest) = try Fixtures.generate(.custom([
            FormulaSpec(name: "pinned", cellar: .pinned("/home/linuxbrew/.linuxbrew/Cellar"),
                        targetCompressedSize: 4 << 10,
                        etcFiles: ["pinned/pinned.conf": "root=@@HOMEBREW_PREFIX@@\n", "pinned.rc": "x=1\n"]),
        ]), name: "pinned")
        let entry = try XCTUnwrap(manifest.formulae["pinned"])
        XCTAssertEqual(entry.cellar, "/home/linuxbrew/.linuxbrew/Cellar")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: root.appendingPathComponent("api/formula/pinned.json"))) as? [String: Any])
        let stable = (json["bottle"] as? [String: Any])?["stable"] as? [String: Any]
        let file = (stable?["files"] as? [String: [String: String]])?["x86_64_linux"]
        XCTAssertEqual(file?["cellar"], "/home/linuxbrew/.linuxbrew/Cellar")
        XCTAssertTrue(entry.files.contains(".bottle/etc/pinned/pinned.conf"))
        XCTAssertTrue(entry.files.contains(".bottle/etc/pinned.rc"))
        XCTAssertTrue(entry.changedFiles.contains(".bottle/etc/pinned/pinned.conf"))
        XCTAssertFalse(entry.changedFiles.contains(".bottle/etc/pinned.rc"))
        let destination = Fixtures.temporaryDirectory("extract-pinned")
        let (status, _) = try runProgram("/bin/tar", ["-xzf", root.appendingPathComponent("blobs/sha256:\(entry.sha256)").path,
                                                      "-C", destination.path])
        XCTAssertEqual(status, 0)
        XCTAssertEqual(try String(contentsOf: destination.appendingPathComponent("pinned/1.0.0/.bottle/etc/pinned.rc"),
                                  encoding: .utf8), "x=1\n")
    }

    func testCompressionRatioIsRealistic() throws {
        let (_, manifest) = try sample()
        let openssl = try XCTUnwrap(manifest.formulae["openssl@3"])
        let ratio = Double(openssl.size) / Double(openssl.installedSize)
        XCTAssertGreaterThan(ratio, 0.45)
        XCTAssertLessThan(ratio, 0.8)
        // Size lands near the 1200 KB target.
        XCTAssertEqual(Double(openssl.size), 1200 * 1024, accuracy: 1200 * 1024 * 0.15)
    }

    func testFormulaJSONHasHomebrewShape() throws {
        let (root, manifest) = try sample()
        let data = try Data(contentsOf: root.appendingPathComponent("api/formula/openssl@3.json"))
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["name", "full_name", "tap", "oldnames", "aliases", "desc", "homepage", "license", "versions",
                    "revision", "version_scheme", "bottle", "keg_only", "keg_only_reason", "dependencies",
                    "build_dependencies", "test_dependencies", "recommended_dependencies", "optional_dependencies",
                    "uses_from_macos", "uses_from_macos_bounds", "requirements", "conflicts_with", "link_overwrite",
                    "caveats", "deprecated", "disabled", "post_install_defined", "variations"] {
            XCTAssertNotNil(object[key], "missing \(key)")
        }
        XCTAssertEqual(object["tap"] as? String, "homebrew/core")
        let versions = try XCTUnwrap(object["versions"] as? [String: Any])
        XCTAssertEqual(versions["stable"] as? String, "3.4.0")
        XCTAssertTrue(versions["head"] is NSNull)
        let stable = try XCTUnwrap((object["bottle"] as? [String: Any])?["stable"] as? [String: Any])
        XCTAssertEqual(stable["root_url"] as? String, "https://ghcr.io/v2/homebrew/core")
        let files = try XCTUnwrap(stable["files"] as? [String: [String: String]])
        let sha = try XCTUnwrap(manifest.formulae["openssl@3"]?.sha256)
        XCTAssertEqual(Set(files.keys), ["x86_64_linux", "arm64_linux"])
        XCTAssertEqual(files["x86_64_linux"]?["url"], "https://ghcr.io/v2/homebrew/core/openssl/3/blobs/sha256:\(sha)")
        XCTAssertEqual(files["arm64_linux"]?["sha256"], sha)
        XCTAssertEqual(files["x86_64_linux"]?["cellar"], ":any")

        let all = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: root.appendingPathComponent("api/formula.json"))) as? [[String: Any]])
        XCTAssertEqual(all.count, 11)
        func formula(_ name: String) throws -> [String: Any] {
            try XCTUnwrap(all.first { $0["name"] as? String == name })
        }
        XCTAssertEqual(try formula("gettext")["revision"] as? Int, 1)
        XCTAssertEqual(manifest.formulae["gettext"]?.pkgVersion, "0.22.5_1")
        XCTAssertEqual(try formula("icu4c@76")["keg_only"] as? Bool, true)
        XCTAssertEqual((try formula("icu4c@76")["keg_only_reason"] as? [String: Any])?["reason"] as? String,
                       ":versioned_formula")
        XCTAssertTrue(try formula("wget")["keg_only_reason"] is NSNull)
        XCTAssertEqual(try formula("hello")["aliases"] as? [String], ["hello-world"])
        let uses = try XCTUnwrap(try formula("curl")["uses_from_macos"] as? [Any])
        XCTAssertEqual(uses.first as? String, "zlib")
        XCTAssertEqual(uses.last as? [String: String], ["krb5": "build"])
        let variations = try XCTUnwrap(try formula("curl")["variations"] as? [String: [String: Any]])
        XCTAssertEqual(variations["x86_64_linux"]?["dependencies"] as? [String], ["openssl@3", "libnghttp2", "zlib"])
        // Flat mirror names are hardlinks of the blob.
        let flat = root.appendingPathComponent("bottles/gettext-0.22.5_1.x86_64_linux.bottle.tar.gz").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: flat))
    }

    func testOCIImageIndexCarriesDigestAndReceipt() throws {
        let (root, manifest) = try sample()
        let entry = try XCTUnwrap(manifest.formulae["openssl@3"])
        let data = try Data(contentsOf: root.appendingPathComponent("manifests/openssl/3/3.4.0"))
        let index = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let manifests = try XCTUnwrap(index["manifests"] as? [[String: Any]])
        XCTAssertEqual(manifests.count, 2)
        let annotations = try XCTUnwrap(manifests.first?["annotations"] as? [String: String])
        XCTAssertEqual(annotations["sh.brew.bottle.digest"], entry.sha256)
        XCTAssertEqual(annotations["sh.brew.bottle.size"], String(entry.size))
        let tab = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(XCTUnwrap(annotations["sh.brew.tab"]).utf8)) as? [String: Any])
        XCTAssertEqual(tab["changed_files"] as? [String], entry.changedFiles)
    }

    func testGenerationIsDeterministicPerSeed() throws {
        let recipe = RegistryRecipe.custom([
            FormulaSpec(name: "a", targetCompressedSize: 20 << 10),
            FormulaSpec(name: "b", dependencies: ["a"], targetCompressedSize: 30 << 10),
        ])
        let first = try Fixtures.generate(recipe, name: "det1", seed: 42).1
        let second = try Fixtures.generate(recipe, name: "det2", seed: 42).1
        let other = try Fixtures.generate(recipe, name: "det3", seed: 43).1
        XCTAssertEqual(first.formulae["a"]?.sha256, second.formulae["a"]?.sha256)
        XCTAssertEqual(first.formulae["b"]?.sha256, second.formulae["b"]?.sha256)
        XCTAssertNotEqual(first.formulae["a"]?.sha256, other.formulae["a"]?.sha256)
    }

    func testManySmallRecipeBuildsADAGOfSmallBottles() throws {
        let recipe = RegistryRecipe.manySmall(count: 30, seed: 3)
        XCTAssertEqual(recipe.specs.count, 30)
        let names = recipe.specs.map(\.name)
        for (index, spec) in recipe.specs.enumerated() {
            for dependency in spec.dependencies {
                let position = try XCTUnwrap(names.firstIndex(of: dependency))
                XCTAssertLessThan(position, index, "dependencies point backwards, so the graph is acyclic")
            }
        }
        let (_, manifest) = try Fixtures.generate(recipe, name: "many-small")
        XCTAssertEqual(manifest.formulae.count, 30)
        for entry in manifest.formulae.values {
            XCTAssertGreaterThan(entry.size, 2 << 10)
            XCTAssertLessThan(entry.size, 140 << 10)
        }
    }

    func testFFmpegLikeRecipeShape() {
        let recipe = RegistryRecipe.ffmpegLike()
        XCTAssertEqual(recipe.specs.count, 25)
        let total = recipe.specs.reduce(0) { $0 + $1.targetCompressedSize }
        XCTAssertEqual(Double(total) / 1_048_576, 180, accuracy: 5)
        let ffmpeg = recipe.specs.first { $0.name == "ffmpeg" }
        XCTAssertGreaterThanOrEqual(ffmpeg?.dependencies.count ?? 0, 20)
    }

    func testDuplicateNamesAreRejected() {
        let generator = RegistryGenerator(recipe: .custom([FormulaSpec(name: "x"), FormulaSpec(name: "x")]))
        XCTAssertThrowsError(try generator.generate(into: Fixtures.temporaryDirectory("dup"))) { error in
            XCTAssertEqual(error as? RegistryError, .invalidSpec("duplicate formula x"))
        }
    }
}

final class RegistryRecipeTests: XCTestCase {
    func testOneHugeDefaultsToOneGigabyteAndIsConfigurable() {
        XCTAssertEqual(RegistryRecipe.oneHuge().specs.map(\.targetCompressedSize), [1 << 30])
        XCTAssertEqual(RegistryRecipe.oneHuge(size: 5 << 20).specs.map(\.targetCompressedSize), [5 << 20])
    }

    func testSampleRecipeCoversTheDemoCases() {
        let specs = RegistryRecipe.sample().specs
        XCTAssertEqual(specs.count, 11)
        XCTAssertEqual(specs.filter(\.kegOnly).map(\.name), ["icu4c@76"])
        XCTAssertEqual(specs.filter { $0.elf == .relocatable }.map(\.name), ["hello"])
        XCTAssertTrue(specs.contains { !$0.aliases.isEmpty })
        XCTAssertTrue(specs.contains { $0.revision > 0 })
        XCTAssertTrue(specs.contains { $0.usesFromMacos.contains { $0.tag == nil } })
        // Every dependency is in the registry, so the demo installs without a missing formula.
        let names = Set(specs.map(\.name))
        for spec in specs {
            for dependency in spec.dependencies { XCTAssertTrue(names.contains(dependency), dependency) }
        }
    }

    func testImageNameFollowsGHCRRules() {
        XCTAssertEqual(FormulaSpec(name: "openssl@3").image, "openssl/3")
        XCTAssertEqual(FormulaSpec(name: "libxml++").image, "libxmlxx")
        XCTAssertEqual(FormulaSpec(name: "gettext", revision: 2).pkgVersion, "1.0.0_2")
    }
}
