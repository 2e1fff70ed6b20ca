import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Issue 13: nothing outside the prefix. One scenario per class of the outside review (1 physical
/// link containment, 2 planted links in state paths and keg writes, 3 names that become paths,
/// 4 `.bottle/etc|var`, 6 limits, 7 modes), each against the local registry server with archives
/// written here by libarchive. Every scenario ends on the same checks: a sentinel directory
/// outside the prefix is byte-for-byte unchanged (paths, modes, link targets, contents), `pour list`
/// equals the Cellar, `pour doctor` exits 0, and no link under the prefix resolves outside it.
final class ReliabilityContainmentTests: XCTestCase {
    typealias Entry = CustomBottle.Entry

    private let keg = "hostile/1.0.0/"

    // MARK: - Harness

    /// A registry with `hostile` (its bottle replaced by `entries`, unless nil) and `good`.
    private func fixture(_ entries: [Entry]?, hostile: FormulaSpec = FormulaSpec(name: "hostile", targetCompressedSize: 20_000),
                         extra: [FormulaSpec] = []) throws -> (RegistryFixture, String) {
        let fixture = try RegistryFixture(recipe: .custom([hostile, FormulaSpec(name: "good", targetCompressedSize: 20_000)] + extra))
        let sentinel = fixture.root.appendingPathComponent("outside").path
        try FileManager.default.createDirectory(atPath: sentinel + "/sub", withIntermediateDirectories: true)
        try Data("canary\n".utf8).write(to: URL(fileURLWithPath: sentinel + "/canary"))
        try Data("victim\n".utf8).write(to: URL(fileURLWithPath: sentinel + "/sub/victim"))
        try FileManager.default.createSymbolicLink(atPath: sentinel + "/link", withDestinationPath: "canary")
        if let entries {
            let bottle = fixture.root.appendingPathComponent("hostile.tar.gz").path
            try CustomBottle.writeArchive(entries, to: bottle)
            try CustomBottle.publish(bottleAt: bottle, as: "hostile", in: fixture.registry, manifest: fixture.manifest)
        }
        return (fixture, sentinel)
    }

    /// Every path below `directory` with its mode, link target and full contents.
    private func image(_ directory: String) -> [String: String] {
        var result: [String: String] = [:]
        for path in tree(directory) {
            let full = directory + "/" + path
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            var value = String(info.st_mode, radix: 8)
            if (info.st_mode & S_IFMT) == S_IFLNK { value += " -> " + (symlinkTarget(full) ?? "?") }
            if (info.st_mode & S_IFMT) == S_IFREG { value += " " + (FileManager.default.contents(atPath: full)?.base64EncodedString() ?? "?") }
            result[path] = value
        }
        return result
    }

    /// The invariant every scenario ends on (see the type's notes).
    private func assertContained(_ fixture: RegistryFixture, sentinel: String, before: [String: String],
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(image(sentinel), before, "the sentinel outside the prefix changed", file: file, line: line)
        let layout = fixture.configuration().layout
        var cellar: [String] = []
        for rack in (try? FileManager.default.contentsOfDirectory(atPath: layout.cellar)) ?? [] {
            for version in (try? FileManager.default.contentsOfDirectory(atPath: layout.cellar + "/" + rack)) ?? [] {
                cellar.append("\(rack) \(version)")
            }
        }
        XCTAssertEqual(try runPour(["list", "--versions"], fixture: fixture).lines.sorted(), cellar.sorted(),
                       "`list` differs from the Cellar", file: file, line: line)
        let doctor = try runPour(["doctor"], fixture: fixture)
        XCTAssertEqual(doctor.status, 0, "doctor: \(doctor.lines)", file: file, line: line)
        let realPrefix = URL(fileURLWithPath: layout.prefix).resolvingSymlinksInPath().path
        // `lib/ld.so` is the loader link brew and pour keep pointing at the system's loader.
        for path in tree(layout.prefix) where isSymlink(layout.prefix + "/" + path) && path != "lib/ld.so" {
            let resolved = URL(fileURLWithPath: layout.prefix + "/" + path).resolvingSymlinksInPath().path
            XCTAssertTrue(resolved == realPrefix || resolved.hasPrefix(realPrefix + "/"),
                          "\(path) resolves outside the prefix: \(resolved)", file: file, line: line)
        }
    }

    private func failure(_ run: InstallRecording, _ name: String) -> PackageFailure? {
        if case .failed(let failure)? = run.outcome(name) { return failure }
        return nil
    }

    // MARK: - Class 1: containment on the filesystem, not on the text

    func testLinkChainClimbingOutPhysicallyIsRefused() throws {
        // Each text stays inside the keg; followed on disk, `a/b/c/up` is the keg root, so four `..`
        // after it reach the fixture root and `outside/canary`.
        let (fixture, sentinel) = try fixture([
            Entry(keg, .directory), Entry(keg + "a/b/c/", .directory),
            Entry(keg + "a/b/c/up", .symlink(target: "../../..")),
            Entry(keg + "bin/", .directory),
            Entry(keg + "bin/esc", .symlink(target: "../a/b/c/up/../../../../outside/canary")),
        ])
        let before = image(sentinel)
        let run = install(["hostile", "good"], configuration: fixture.configuration())
        guard case .unpack(.unsafeSymlink(_, let entry, _))? = failure(run, "hostile") else {
            return XCTFail("\(String(describing: run.outcome("hostile")))")
        }
        XCTAssertEqual(entry, "hostile/1.0.0/bin/esc")
        assertOutcomes(run, installed: ["good"], failed: ["hostile"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.prefix + "/bin/esc"))
        try assertContained(fixture, sentinel: sentinel, before: before)
    }

    // MARK: - Class 2: no write, sweep or lock through a planted link

    func testPlantedLinksInVarHomebrewAreRefusedNotFollowed() throws {
        let (fixture, sentinel) = try fixture(nil)
        let before = image(sentinel)
        let layout = fixture.configuration().layout
        for (planted, label) in [(layout.staging, "staging"), (layout.locks, "locks"),
                                 (layout.prefix + "/var/homebrew", "var/homebrew")] {
            try FileManager.default.createDirectory(atPath: PosixParent.of(planted), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: planted)
            try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: sentinel)
            let run = install(["good"], configuration: fixture.configuration())
            guard case .failure(let error) = run.result else { return XCTFail("\(label): install through a planted link succeeded") }
            XCTAssertTrue("\(error)".contains("symlink"), "\(label): \(error)")
            XCTAssertEqual(image(sentinel), before, "\(label): the sweep or lock went through the link")
            try FileManager.default.removeItem(atPath: planted)
        }
        // With the links gone the prefix works again.
        assertOutcomes(install(["good"], configuration: fixture.configuration()), installed: ["good"])
        // Lifecycle commands meet planted links too: `pin` with `var/homebrew/pinned` planted, and
        // `doctor --fix` with the staging directory planted, refuse and leave the sentinel alone.
        let pinned = layout.prefix + "/var/homebrew/pinned"
        try FileManager.default.createSymbolicLink(atPath: pinned, withDestinationPath: sentinel)
        XCTAssertNotEqual(try runPour(["pin", "good"], fixture: fixture).status, 0)
        try FileManager.default.removeItem(atPath: pinned)
        try? FileManager.default.removeItem(atPath: layout.staging)
        try FileManager.default.createSymbolicLink(atPath: layout.staging, withDestinationPath: sentinel)
        XCTAssertNotEqual(try runPour(["doctor", "--fix"], fixture: fixture).status, 0, "doctor names the planted link")
        XCTAssertEqual(image(sentinel), before, "a lifecycle command went through a planted link")
        try FileManager.default.removeItem(atPath: layout.staging)
        try assertContained(fixture, sentinel: sentinel, before: before)
    }

    func testReceiptShippedAsALinkIsReplacedNotWrittenThrough() throws {
        let (fixture, sentinel) = try fixture([
            Entry(keg, .directory), Entry(keg + "share/", .directory), .file(keg + "share/data.json", "{\"keep\":1}\n"),
            Entry(keg + "INSTALL_RECEIPT.json", .symlink(target: "share/data.json")),
        ])
        let before = image(sentinel)
        let run = install(["hostile"], configuration: fixture.configuration())
        assertOutcomes(run, installed: ["hostile"])
        let kegPath = fixture.configuration().layout.keg("hostile", "1.0.0")
        XCTAssertEqual(try String(contentsOfFile: kegPath + "/share/data.json", encoding: .utf8), "{\"keep\":1}\n")
        XCTAssertFalse(isSymlink(kegPath + "/INSTALL_RECEIPT.json"), "the receipt is pour's own regular file")
        XCTAssertEqual(tree(kegPath).filter { $0.contains(".pour-tmp") }, [])
        try assertContained(fixture, sentinel: sentinel, before: before)
    }

    // MARK: - Class 3: names from metadata

    func testUnsafeAliasesAndVersionsAreRefusedAtDecode() throws {
        let (fixture, sentinel) = try fixture(nil, hostile: FormulaSpec(name: "hostile", aliases: ["../../../outside/pwned"],
                                                                         targetCompressedSize: 20_000))
        let before = image(sentinel)
        // Through the formula index (built from formula.json) and through the per-formula API,
        // the error names the formula and the field.
        let indexed = install(["hostile"], configuration: fixture.configuration())
        guard case .failure(let indexError) = indexed.result else { return XCTFail("installed a formula with an unsafe alias") }
        XCTAssertTrue("\(indexError)".contains("unsafe aliases"), "\(indexError)")
        var perFormula = fixture.configuration()
        perFormula.index.autoUpdate = false
        perFormula.layout = PrefixLayout(prefix: fixture.prefix, cache: fixture.cache + "-api")
        let run = install(["hostile"], configuration: perFormula)
        guard case .failure(let error) = run.result else { return XCTFail("installed a formula with an unsafe alias") }
        XCTAssertTrue("\(error)".contains("unsafe aliases"), "\(error)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("outside/pwned").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.configuration().layout.cellar + "/hostile"))

        // A version with an embedded NUL is refused, not cut at the NUL.
        try CustomBottle.editFormulaJSON(in: fixture.registry, name: "good") {
            $0.replacingOccurrences(of: "\"stable\":\"1.0.0\"", with: "\"stable\":\"1.0.0\\u0000x\"")
              .replacingOccurrences(of: "\"stable\" : \"1.0.0\"", with: "\"stable\" : \"1.0.0\\u0000x\"")
        }
        var configuration = fixture.configuration()
        configuration.index.autoUpdate = false
        configuration.layout = PrefixLayout(prefix: fixture.prefix + "2", cache: fixture.cache + "2")
        let second = install(["good"], configuration: configuration)
        guard case .failure(let versionError) = second.result else { return XCTFail("installed a version with a NUL") }
        XCTAssertTrue("\(versionError)".contains("unsafe versions.stable"), "\(versionError)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: configuration.layout.cellar + "/good/1.0.0"))
        try assertContained(fixture, sentinel: sentinel, before: before)
    }

    func testAliasNeverTakesAnotherFormulasOptLink() throws {
        let (fixture, sentinel) = try fixture(nil, hostile: FormulaSpec(name: "hostile", aliases: ["good", "hostile-alias"],
                                                                         targetCompressedSize: 20_000))
        let before = image(sentinel)
        let layout = fixture.configuration().layout
        assertOutcomes(install(["good"], configuration: fixture.configuration()), installed: ["good"])
        assertOutcomes(install(["hostile"], configuration: fixture.configuration()), installed: ["hostile"])
        XCTAssertEqual(symlinkTarget(layout.opt + "/good"), "../Cellar/good/1.0.0", "the alias re-pointed another formula's opt link")
        XCTAssertEqual(symlinkTarget(layout.opt + "/hostile-alias"), "../Cellar/hostile/1.0.0")
        try assertContained(fixture, sentinel: sentinel, before: before)
    }

    // MARK: - Class 4: .bottle/etc and .bottle/var

    func testTopLevelBottleEtcFileOnAFreshPrefixIsInstalledAndBottleIsKept() throws {
        let (fixture, sentinel) = try fixture(nil, hostile: FormulaSpec(name: "hostile", targetCompressedSize: 20_000,
                                                                         etcFiles: ["wgetrc": "# wgetrc\n"]))
        let before = image(sentinel)
        let layout = fixture.configuration().layout
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.prefix + "/etc"))
        assertOutcomes(install(["hostile"], configuration: fixture.configuration()), installed: ["hostile"])
        XCTAssertEqual(try String(contentsOfFile: layout.prefix + "/etc/wgetrc", encoding: .utf8), "# wgetrc\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.keg("hostile", "1.0.0") + "/.bottle/etc/wgetrc"),
                      ".bottle stays in the keg (install_renamed compares against it)")
        try assertContained(fixture, sentinel: sentinel, before: before)
    }

    func testBottleEtcLinkLeavingThePrefixIsNotCopiedAndAPlantedEtcLinkRollsTheKegBack() throws {
        // `.bottle/etc/cfg -> ../../share/x` stays in the keg, but at `<prefix>/etc/cfg` it climbs
        // above the prefix: it is left out. The plain file beside it is installed.
        let entries = [Entry(keg, .directory), Entry(keg + "share/", .directory), .file(keg + "share/x", "x\n"),
                       Entry(keg + ".bottle/", .directory), Entry(keg + ".bottle/etc/", .directory),
                       .file(keg + ".bottle/etc/plain.conf", "plain\n"),
                       Entry(keg + ".bottle/etc/cfg", .symlink(target: "../../share/x")),
                       // A fake "linked" record for another formula: pour's state is never bottle content.
                       Entry(keg + ".bottle/var/", .directory), Entry(keg + ".bottle/var/homebrew/linked/", .directory),
                       Entry(keg + ".bottle/var/homebrew/linked/good", .symlink(target: "../../../share/x")),
                       .file(keg + ".bottle/var/log/hostile.log", "")]
        let (fixture, sentinel) = try fixture(entries)
        let before = image(sentinel)
        let layout = fixture.configuration().layout
        assertOutcomes(install(["hostile"], configuration: fixture.configuration()), installed: ["hostile"])
        XCTAssertFalse(isSymlink(layout.prefix + "/etc/cfg"))
        XCTAssertFalse(isSymlink(layout.prefix + "/var/homebrew/linked/good"), "bottle content wrote pour's state")
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.prefix + "/var/log/hostile.log"))
        XCTAssertEqual(try String(contentsOfFile: layout.prefix + "/etc/plain.conf", encoding: .utf8), "plain\n")
        try assertContained(fixture, sentinel: sentinel, before: before)

        // A link planted at <prefix>/etc: the copy is refused after the Cellar rename, the keg is
        // rolled back, and nothing counts it as installed.
        _ = try runPour(["uninstall", "hostile"], fixture: fixture)
        try FileManager.default.removeItem(atPath: layout.prefix + "/etc")
        try FileManager.default.createSymbolicLink(atPath: layout.prefix + "/etc", withDestinationPath: sentinel)
        let run = install(["hostile"], configuration: fixture.configuration())
        guard case .keg(.refusedPath)? = failure(run, "hostile") else { return XCTFail("\(String(describing: run.outcome("hostile")))") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.cellar + "/hostile"), "the keg was rolled back")
        XCTAssertEqual(image(sentinel), before)
        try FileManager.default.removeItem(atPath: layout.prefix + "/etc")
        try assertContained(fixture, sentinel: sentinel, before: before)
    }

    // MARK: - Class 6: limits

    func testDataAfterTheTarEndIsRefusedWithoutInflatingIt() throws {
        let (fixture, sentinel) = try fixture(nil)
        let before = image(sentinel)
        let bottle = fixture.root.appendingPathComponent("trailing.tar.gz").path
        try CustomBottle.writeArchive([Entry(keg, .directory), .file(keg + "bin/tool", "#!/bin/sh\n")], to: bottle)
        // 1 GiB of 'A' after the archive: about 1 MiB on the wire.
        try GzipTrailer.append(to: bottle, byte: 0x41, count: 1 << 30)
        try CustomBottle.publish(bottleAt: bottle, as: "hostile", in: fixture.registry, manifest: fixture.manifest)
        let run = install(["hostile", "good"], configuration: fixture.configuration())
        guard case .unpack(.corruptArchive(_, _, let reason))? = failure(run, "hostile") else {
            return XCTFail("\(String(describing: run.outcome("hostile")))")
        }
        XCTAssertTrue(reason.contains("end-of-archive"), reason)
        assertOutcomes(run, installed: ["good"], failed: ["hostile"])

        // Zero padding past the cap is refused too (a tar writer pads with at most 10 KiB).
        try CustomBottle.writeArchive([Entry(keg, .directory), .file(keg + "bin/tool", "#!/bin/sh\n")], to: bottle)
        try GzipTrailer.append(to: bottle, byte: 0, count: 64 << 20)
        try CustomBottle.publish(bottleAt: bottle, as: "hostile", in: fixture.registry, manifest: fixture.manifest)
        let zeros = install(["hostile"], configuration: fixture.configuration())
        guard case .unpack(.corruptArchive(_, _, let zeroReason))? = failure(zeros, "hostile") else {
            return XCTFail("\(String(describing: zeros.outcome("hostile")))")
        }
        XCTAssertTrue(zeroReason.contains("after the tar end-of-archive"), zeroReason)
        try assertContained(fixture, sentinel: sentinel, before: before)
    }

    /// A bare catalogue (no bottles needed) served as `api/formula.json` on 127.0.0.1.
    private func serveCatalogue(_ formulae: [(name: String, dependencies: [String])]) throws -> (RegistryServer, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pour-deps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("api"), withIntermediateDirectories: true)
        let sha = String(repeating: "a", count: 64)
        let objects: [[String: Any]] = formulae.map { formula in
            ["name": formula.name, "full_name": formula.name, "tap": "homebrew/core", "aliases": [String](), "oldnames": [String](),
             "versions": ["stable": "1.0"], "revision": 0, "dependencies": formula.dependencies,
             "bottle": ["stable": ["rebuild": 0, "root_url": "https://ghcr.io/v2/homebrew/core",
                                   "files": ["x86_64_linux": ["cellar": ":any", "sha256": sha,
                                                              "url": "https://ghcr.io/v2/homebrew/core/\(formula.name)/blobs/sha256:\(sha)"]]]]]
        }
        try JSONSerialization.data(withJSONObject: objects).write(to: root.appendingPathComponent("api/formula.json"))
        let server = try RegistryServer(root: root)
        try server.start()
        return (server, root)
    }

    private func deps(_ arguments: [String], server: RegistryServer, root: URL) throws -> (Int32, [String]) {
        let process = try PourProcess(arguments: ["deps"] + arguments + ["--prefix", root.appendingPathComponent("prefix").path,
                                                                         "--cache", root.appendingPathComponent("cache").path],
                                      environment: ["HOMEBREW_API_DOMAIN": server.registryBaseURL + "/api",
                                                    "POUR_BOTTLE_TAG": "x86_64_linux"])
        let status = process.waitForExit()
        process.waitForLine { _ in false }
        return (status, process.output)
    }

    func testDepsTreeOfADeepChainAndALadderIsIterativeAndPrintsRepeatsOnce() throws {
        // A 5,000-deep chain (the recursive printer overflowed the stack at 2,000 levels).
        let depth = 5_000
        let chain = (0..<depth).map { (name: "c\($0)", dependencies: $0 + 1 < depth ? ["c\($0 + 1)"] : []) }
        let (chainServer, chainRoot) = try serveCatalogue(chain)
        defer { chainServer.shutdown(); try? FileManager.default.removeItem(at: chainRoot) }
        let (status, lines) = try deps(["--tree", "c0"], server: chainServer, root: chainRoot)
        XCTAssertEqual(status, 0)
        XCTAssertEqual(lines.count, depth)
        XCTAssertEqual(lines.last, String(repeating: "    ", count: depth - 2) + "└── c\(depth - 1)")

        // A 44-rung ladder: every rung's two formulae depend on both of the next rung's, so a tree
        // printer without repeat markers prints 2^44 lines.
        let rungs = 44
        var ladder: [(name: String, dependencies: [String])] = [(name: "top", dependencies: ["a0", "b0"])]
        for rung in 0..<rungs {
            let next = rung + 1 < rungs ? ["a\(rung + 1)", "b\(rung + 1)"] : []
            ladder += [(name: "a\(rung)", dependencies: next), (name: "b\(rung)", dependencies: next)]
        }
        let (ladderServer, ladderRoot) = try serveCatalogue(ladder)
        defer { ladderServer.shutdown(); try? FileManager.default.removeItem(at: ladderRoot) }
        let (ladderStatus, tree) = try deps(["--tree", "top"], server: ladderServer, root: ladderRoot)
        XCTAssertEqual(ladderStatus, 0)
        XCTAssertLessThanOrEqual(tree.count, 1 + 4 * rungs, "each subtree printed once: linear in the graph")
        XCTAssertTrue(tree.contains { $0.hasSuffix("b1 (PRUNED)") }, "\(tree.prefix(8))")
        // Every formula still appears.
        for rung in 0..<rungs { XCTAssertTrue(tree.contains { $0.hasSuffix("── a\(rung)") }, "a\(rung)") }
    }

    // MARK: - Class 7: modes

    func testWorldWritableModesAreMaskedByTheUmask() throws {
        let (fixture, sentinel) = try fixture([
            Entry(keg, .directory), Entry(keg + "share/", .directory, permissions: 0o777),
            .file(keg + "share/open.txt", "x\n", permissions: 0o666), .file(keg + "share/run.sh", "#!/bin/sh\n", permissions: 0o777),
        ])
        let before = image(sentinel)
        // Read from /proc, not by setting it: libarchive's writer briefly sets umask 0 to read it,
        // so the set-and-restore dance can observe 0 while another thread extracts.
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("Umask:") }
        let mask = mode_t(line.map { $0.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces) } ?? "", radix: 8) ?? 0
        if mask & 0o002 == 0 { throw XCTSkip("umask \(String(mask, radix: 8)) allows world write: nothing to mask") }
        assertOutcomes(install(["hostile"], configuration: fixture.configuration()), installed: ["hostile"])
        let kegPath = fixture.configuration().layout.keg("hostile", "1.0.0")
        for (path, requested) in [("share", 0o777), ("share/open.txt", 0o666), ("share/run.sh", 0o777)] as [(String, mode_t)] {
            var info = stat()
            XCTAssertEqual(lstat(kegPath + "/" + path, &info), 0)
            XCTAssertEqual(info.st_mode & 0o777, requested & ~mask, path)
        }
        try assertContained(fixture, sentinel: sentinel, before: before)
    }
}

private enum PosixParent {
    static func of(_ path: String) -> String { (path as NSString).deletingLastPathComponent }
}
