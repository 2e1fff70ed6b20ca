import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Bottles rebuilt from real system programs (`zstd` needing a real `liblz4` that only the keg
/// holds, `xxd`) with the placeholders brew writes, installed through the whole pipeline at
/// prefixes shorter and longer than the 19-byte placeholder, then **run**. The rules are brew's:
/// `formula_installer.rb#pour`, `extend/os/linux/bottle_specification.rb`,
/// `extend/os/linux/keg_relocate.rb#change_rpath!`.
final class RealArtefactRelocationTests: XCTestCase {
    private var scratch = ""

    override func setUpWithError() throws {
        #if !os(Linux)
            throw XCTSkip("Linux ELF bottles")
        #endif
        if let missing = RealELFBottle.missingTool() { throw XCTSkip("\(missing) is missing (Scripts/setup.sh installs it)") }
        scratch = "/tmp/pra-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// A fresh prefix path of exactly `length` bytes inside the scratch directory.
    private func prefix(_ length: Int) -> String {
        let base = scratch + "/p"
        precondition(length > base.count + 1)
        return base + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(length - base.count))
            .padding(toLength: length - base.count, withPad: "x", startingAt: 0)
    }

    struct Case {
        var cellar: (String) -> CellarKind
        var linkage: RealELFBottle.Linkage = .placeholders
        /// The tab inside the bottle (`INSTALL_RECEIPT.json`); nil for none.
        var receiptVersion: String?
        /// The tab in the registry's image index (`sh.brew.tab`); nil for none.
        var indexVersion: String?
    }

    /// Publishes a real-ELF bottle for formula `name` in a fresh registry and installs it at
    /// `prefix`. Returns the install recording and the bottle's facts.
    private func pour(_ testCase: Case, name: String = "zstdreal", prefix: String,
                      configure: (inout InstallConfiguration, RegistryFixture) -> Void = { _, _ in })
        throws -> (InstallRecording, RealELFBottle.Output, RegistryFixture) {
        let fixture = try RegistryFixture(recipe: .custom([
            FormulaSpec(name: name, version: "1.5.4", cellar: testCase.cellar(prefix), targetCompressedSize: 8_000),
        ]))
        let changed = ["INSTALL_RECEIPT.json", "share/\(name)/paths.txt"]
        let receipt = testCase.receiptVersion.map { RealELFBottle.tab(homebrewVersion: $0, changedFiles: changed, name: name) }
        let bottle = try RealELFBottle.build(name: name, version: "1.5.4", linkage: testCase.linkage, receiptTab: receipt,
                                             workDirectory: scratch, to: scratch + "/\(name).bottle.tar.gz")
        let sha = try CustomBottle.publish(bottleAt: bottle.bottlePath, as: name, in: fixture.registry, manifest: fixture.manifest)
        if let indexVersion = testCase.indexVersion {
            try CustomBottle.publishIndexTab(RealELFBottle.tab(homebrewVersion: indexVersion, changedFiles: changed, name: name),
                                             sha256: sha, as: name, in: fixture.registry, manifest: fixture.manifest)
        }
        var configuration = fixture.configuration(prefix: prefix)
        configure(&configuration, fixture)
        return (install([name], configuration: configuration), bottle, fixture)
    }

    private func assertRuns(prefix: String, name: String = "zstdreal", file: StaticString = #filePath, line: UInt = #line) throws {
        let keg = "\(prefix)/Cellar/\(name)/1.5.4"
        let zstd = try run(prefix + "/bin/zstd", ["--version"])
        XCTAssertEqual(zstd.status, 0, "zstd at \(prefix): \(zstd.output)", file: file, line: line)
        XCTAssertTrue(zstd.output.contains("Zstandard CLI"), zstd.output, file: file, line: line)
        // Round trip through the real codec (and the `unzstd` symlink, argv[0] dispatch).
        let input = scratch + "/input-\(UUID().uuidString.prefix(6)).txt"
        try Data(String(repeating: "pour relocates real ELF files\n", count: 200).utf8).write(to: URL(fileURLWithPath: input))
        let compress = try run(keg + "/bin/zstd", ["-q", "--format=lz4", "-f", input, "-o", input + ".lz4"])
        XCTAssertEqual(compress.status, 0, compress.output, file: file, line: line)
        let decompress = try run(prefix + "/bin/unzstd", ["-q", "-f", input + ".lz4", "-o", input + ".out"])
        XCTAssertEqual(decompress.status, 0, decompress.output, file: file, line: line)
        XCTAssertEqual(FileManager.default.contents(atPath: input + ".out"), FileManager.default.contents(atPath: input),
                       file: file, line: line)
        let xxd = try run(prefix + "/bin/xxd", ["-l", "4", "-p", input])
        XCTAssertEqual(xxd.status, 0, xxd.output, file: file, line: line)
        XCTAssertEqual(xxd.output.trimmingCharacters(in: .whitespacesAndNewlines), "706f7572", file: file, line: line)
        let hard = try run(keg + "/bin/xxd-hardlink", ["-l", "1", "-p", input])
        XCTAssertEqual(hard.output.trimmingCharacters(in: .whitespacesAndNewlines), "70", hard.output, file: file, line: line)
        var a = stat(), b = stat()
        XCTAssertEqual(stat(keg + "/bin/xxd", &a), 0)
        XCTAssertEqual(stat(keg + "/bin/xxd-hardlink", &b), 0)
        XCTAssertEqual(a.st_ino, b.st_ino, "hard-linked names stay one file", file: file, line: line)
    }

    /// readelf's view of an installed ELF file: interpreter (program headers) and RUNPATH (dynamic section).
    private func readelf(_ path: String) throws -> (interpreter: String?, runpath: String?) {
        let output = try run("/usr/bin/readelf", ["-l", "-d", "-W", path]).output
        func capture(_ marker: String, in line: Substring) -> String? {
            guard let start = line.range(of: marker) else { return nil }
            let rest = line[start.upperBound...]
            guard let end = rest.firstIndex(of: "]") else { return nil }
            return String(rest[..<end])
        }
        var interpreter: String?, runpath: String?
        for line in output.split(separator: "\n") {
            if let value = capture("[Requesting program interpreter: ", in: line) { interpreter = value }
            if line.contains("(RUNPATH)"), let value = capture("Library runpath: [", in: line) { runpath = value }
        }
        return (interpreter, runpath)
    }

    private func assertRelocated(prefix: String, name: String = "zstdreal", file: StaticString = #filePath, line: UInt = #line) throws {
        let keg = "\(prefix)/Cellar/\(name)/1.5.4"
        let zstd = try readelf(keg + "/bin/zstd")
        XCTAssertEqual(zstd.interpreter, prefix + "/lib/ld.so", file: file, line: line)
        XCTAssertEqual(zstd.runpath, "\(keg)/lib:\(prefix)/lib", file: file, line: line)
        let xxd = try readelf(keg + "/bin/xxd")
        XCTAssertEqual(xxd.interpreter, prefix + "/lib/ld.so", file: file, line: line)
        // change_rpath!: lib/gcc/<N> → lib/gcc/current.
        XCTAssertEqual(xxd.runpath, "\(prefix)/lib/gcc/current:\(prefix)/lib", file: file, line: line)
        XCTAssertEqual(try readelf(keg + "/lib/libpourlz4.so.1").runpath, prefix + "/lib", file: file, line: line)
        let paths = try String(contentsOfFile: keg + "/share/\(name)/paths.txt", encoding: .utf8)
        XCTAssertEqual(paths, "prefix=\(prefix)\ncellar=\(prefix)/Cellar\nkeg=\(keg)\n", file: file, line: line)
    }

    // MARK: - Every cellar kind

    func testAnyCellarRunsAtPrefixesShorterEqualAndLongerThanThePlaceholder() throws {
        for length in [26, 40, 64] {
            let prefix = prefix(length)
            let (recording, _, _) = try pour(Case(cellar: { _ in .any }, receiptVersion: "4.4.0"), prefix: prefix)
            XCTAssertEqual(recording.report?.installed, ["zstdreal"], "\(recording.result)")
            try assertRelocated(prefix: prefix)
            try assertRuns(prefix: prefix)
        }
    }

    func testThirteenAndNineteenBytePrefixes() throws {
        // /tmp/pra-xxxxxxxx is already 17 bytes: use short top-level /tmp names for these two.
        for length in [13, 19] {
            let prefix = "/tmp/q" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(length - 6))
            XCTAssertEqual(prefix.utf8.count, length)
            defer { try? FileManager.default.removeItem(atPath: prefix) }
            let (recording, _, _) = try pour(Case(cellar: { _ in .any }, receiptVersion: "4.4.0"), prefix: prefix)
            XCTAssertEqual(recording.report?.installed, ["zstdreal"], "\(recording.result)")
            try assertRelocated(prefix: prefix)
            try assertRuns(prefix: prefix)
        }
    }

    func testPinnedCellarIsRelocatedWhenPouredAtItsOwnPrefix() throws {
        // ~14 % of Linux bottles (ffmpeg, wget): pinned to /home/linuxbrew/.linuxbrew/Cellar and
        // still holding @@HOMEBREW_PREFIX@@/lib/ld.so until relocated (issue 15 item 1).
        for length in [26, 48] {
            let prefix = prefix(length)
            let (recording, _, _) = try pour(Case(cellar: { .pinned($0 + "/Cellar") }, receiptVersion: "4.4.0"), prefix: prefix)
            XCTAssertEqual(recording.report?.installed, ["zstdreal"], "\(recording.result)")
            try assertRelocated(prefix: prefix)
            try assertRuns(prefix: prefix)
        }
    }

    func testSkipRelocationFromOldBrewIsStillRelocated() throws {
        // "5.1.9" sorts after "5.1.15" as a string; as a version it is older (version.rb).
        for version in ["4.4.0", "5.1.9", "5.1.15-rc1"] {
            let prefix = prefix(30)
            let (recording, _, _) = try pour(Case(cellar: { _ in .anySkipRelocation }, receiptVersion: version), prefix: prefix)
            XCTAssertEqual(recording.report?.installed, ["zstdreal"], "\(version): \(recording.result)")
            try assertRelocated(prefix: prefix)
            try assertRuns(prefix: prefix)
        }
    }

    func testSkipRelocationWithoutAnyTabIsRelocated() throws {
        let prefix = prefix(30)
        let (recording, _, _) = try pour(Case(cellar: { _ in .anySkipRelocation }, receiptVersion: nil), prefix: prefix)
        XCTAssertEqual(recording.report?.installed, ["zstdreal"], "\(recording.result)")
        try assertRelocated(prefix: prefix)
        try assertRuns(prefix: prefix)
    }

    func testSkipRelocationFromNewBrewLeavesBinariesUntouched() throws {
        // A correct new-brew skip-relocation bottle: system interpreter, $ORIGIN RUNPATH; it runs
        // as shipped and pour must not rewrite it.
        let prefix = prefix(30)
        let (recording, bottle, _) = try pour(Case(cellar: { _ in .anySkipRelocation }, linkage: .relocatable,
                                                   receiptVersion: "5.1.15"), prefix: prefix)
        XCTAssertEqual(recording.report?.installed, ["zstdreal"], "\(recording.result)")
        let keg = prefix + "/Cellar/zstdreal/1.5.4"
        for (relative, digest) in bottle.elfDigests {
            XCTAssertEqual(try fileSHA(keg + "/" + relative), digest, "\(relative) is byte-identical to the bottle's")
        }
        XCTAssertEqual(try readelf(keg + "/bin/zstd").runpath, "$ORIGIN/../lib")
        try assertRuns(prefix: prefix)

        // The same rule with placeholders left in: brew would not touch them either (skip_linkage).
        let second = self.prefix(30)
        let (again, placeholderBottle, _) = try pour(Case(cellar: { _ in .anySkipRelocation }, receiptVersion: "5.2.0"),
                                                     prefix: second)
        XCTAssertEqual(again.report?.installed, ["zstdreal"])
        XCTAssertEqual(try readelf(second + "/Cellar/zstdreal/1.5.4/bin/zstd").interpreter, "@@HOMEBREW_PREFIX@@/lib/ld.so")
        XCTAssertEqual(try fileSHA(second + "/Cellar/zstdreal/1.5.4/bin/zstd"), placeholderBottle.elfDigests["bin/zstd"])
    }

    func testManifestTabWinsOverTheBottlesReceipt() throws {
        // utils/bottles.rb#load_tab: the published sh.brew.tab first. Receipt says 5.1.15 (skip),
        // the index says 4.4.0 (relocate): relocated.
        let prefix = prefix(30)
        let (recording, _, _) = try pour(Case(cellar: { _ in .anySkipRelocation }, receiptVersion: "5.1.15",
                                              indexVersion: "4.4.0"), prefix: prefix)
        XCTAssertEqual(recording.report?.installed, ["zstdreal"], "\(recording.result)")
        try assertRelocated(prefix: prefix)
        try assertRuns(prefix: prefix)
        let receipt = try XCTUnwrap(InstallReceipt.read(kegPath: prefix + "/Cellar/zstdreal/1.5.4"))
        XCTAssertEqual(receipt.homebrewVersion, "4.4.0", "homebrew_version comes from the bottle's tab")
    }

    func testPublishedTabIsRememberedForPoursFromTheCache() throws {
        // The index says 5.2.0 (skip), the bottle's own receipt 4.4.0 (relocate). A second pour
        // from the cache fetches no manifest and must still decide with the published tab.
        let first = prefix(30)
        let (recording, bottle, fixture) = try pour(Case(cellar: { _ in .anySkipRelocation }, receiptVersion: "4.4.0",
                                                         indexVersion: "5.2.0"), prefix: first)
        XCTAssertEqual(recording.report?.installed, ["zstdreal"], "\(recording.result)")
        let second = prefix(30)
        let again = install(["zstdreal"], configuration: fixture.configuration(prefix: second))
        XCTAssertEqual(again.report?.installed, ["zstdreal"], "\(again.result)")
        XCTAssertEqual(fixture.log.entries.filter { $0.path.contains("/manifests/") }.count, 1, "the second pour used the cache")
        for prefix in [first, second] {
            let keg = prefix + "/Cellar/zstdreal/1.5.4"
            XCTAssertEqual(try fileSHA(keg + "/bin/zstd"), bottle.elfDigests["bin/zstd"], "skip_linkage at \(prefix)")
            XCTAssertEqual(try XCTUnwrap(InstallReceipt.read(kegPath: keg)).homebrewVersion, "5.2.0")
        }
    }

    func testCustomBottleDomainWithoutChangedFilesRelocatesFullyAndWarns() throws {
        let prefix = prefix(30)
        let name = "zstdreal"
        let fixture = try RegistryFixture(recipe: .custom([
            FormulaSpec(name: name, version: "1.5.4", cellar: .anySkipRelocation, targetCompressedSize: 8_000),
        ]))
        // A new-brew tab that would skip relocation, but without changed_files, from a flat mirror.
        let tab = RealELFBottle.tab(homebrewVersion: "5.1.15", changedFiles: nil, name: name)
        let bottle = try RealELFBottle.build(name: name, version: "1.5.4", linkage: .placeholders, receiptTab: tab,
                                             workDirectory: scratch, to: scratch + "/flat.bottle.tar.gz")
        try CustomBottle.publish(bottleAt: bottle.bottlePath, as: name, in: fixture.registry, manifest: fixture.manifest)
        try CustomBottle.publishFlat(bottleAt: bottle.bottlePath, as: name, tags: ["x86_64_linux", "arm64_linux"],
                                     in: fixture.registry, manifest: fixture.manifest)
        var configuration = fixture.configuration(prefix: prefix)
        configuration.endpoints = .fromEnvironment(fixture.environment.merging(
            ["HOMEBREW_BOTTLE_DOMAIN": fixture.server.registryBaseURL + "/bottles"]) { $1 })
        let recording = install([name], configuration: configuration)
        XCTAssertEqual(recording.report?.installed, [name], "\(recording.result)")
        try assertRelocated(prefix: prefix)
        try assertRuns(prefix: prefix)
        let warnings = recording.events.compactMap { entry -> String? in
            if case .warning(let package, let message) = entry.event, package == name { return message }
            return nil
        }
        XCTAssertEqual(warnings.count, 1, "\(recording.events.map(\.event))")
        XCTAssertTrue(warnings.first?.contains("HOMEBREW_BOTTLE_DOMAIN") == true)
        XCTAssertTrue(fixture.log.entries.contains { $0.path.hasPrefix("/bottles/") }, "served by the flat mirror")
    }

    // MARK: - Receipt

    func testReceiptCarriesTheBottlesTab() throws {
        let prefix = prefix(30)
        let (recording, _, _) = try pour(Case(cellar: { _ in .any }, receiptVersion: "5.0.3"), prefix: prefix)
        XCTAssertEqual(recording.report?.installed, ["zstdreal"])
        let keg = prefix + "/Cellar/zstdreal/1.5.4"
        let data = try XCTUnwrap(FileManager.default.contents(atPath: keg + "/INSTALL_RECEIPT.json"))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["homebrew_version"] as? String, "5.0.3")
        XCTAssertEqual(object["loaded_from_internal_api"] as? Bool, false)
        XCTAssertEqual(object["loaded_from_api"] as? Bool, true)
        XCTAssertEqual(object["poured_from_bottle"] as? Bool, true)
        XCTAssertEqual(object["built_as_bottle"] as? Bool, true)
        XCTAssertEqual(object["changed_files"] as? [String], ["INSTALL_RECEIPT.json", "share/zstdreal/paths.txt"],
                       "the bottle's list, as brew's tab keeps it")
        XCTAssertEqual(object["stdlib"] as? String, "libstdcxx")
        XCTAssertEqual((object["built_on"] as? [String: Any])?["os_version"] as? String, "Ubuntu 22.04")
        XCTAssertEqual(object["installed_on_request"] as? Bool, true)
    }

    // MARK: - Helpers

    private func fileSHA(_ path: String) throws -> String {
        try RealELFBottle.sha256(ofFile: path)
    }

    private func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
