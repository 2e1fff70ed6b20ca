import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Issue #8, part 4: hostile bottles served by the registry and installed through the real
/// installer (download → verify → extract). Each is rejected with a clear per-package error (or
/// neutralised: setuid bits), the package depending on it is skipped, an independent package is
/// installed, and nothing is written outside staging: a canary directory beside the prefix and
/// one under the temporary directory are snapshotted before and after.
final class ReliabilityHostileArchiveTests: XCTestCase {
    typealias Entry = CustomBottle.Entry

    private struct Outcome {
        var fixture: RegistryFixture
        var run: InstallRecording
        var failure: PackageFailure?
        var layout: PrefixLayout
    }

    /// Beside the prefix (in the fixture root) and under the system temporary directory.
    private var outsideNear = ""
    private var outsideTmp = ""

    override func tearDown() {
        if !outsideTmp.isEmpty { try? FileManager.default.removeItem(atPath: outsideTmp) }
        super.tearDown()
    }

    /// `../` enough times to reach `/` from any staging directory, then `absolute` (without its `/`).
    private func climb(to absolute: String) -> String {
        String(repeating: "../", count: 40) + absolute.dropFirst()
    }

    private func hostileInstall(_ entries: (_ near: String, _ tmp: String) -> [Entry],
                                rawBottle: ((String) throws -> Void)? = nil,
                                limits: ExtractionLimits = .default,
                                expectFailure: Bool = true, files: [String] = [],
                                file: StaticString = #filePath, line: UInt = #line) throws -> Outcome {
        let fixture = try RegistryFixture(recipe: .custom([
            FormulaSpec(name: "hostile", targetCompressedSize: 20_000),
            FormulaSpec(name: "user", dependencies: ["hostile"], targetCompressedSize: 20_000),
            FormulaSpec(name: "good", targetCompressedSize: 20_000),
        ]))
        outsideNear = fixture.root.appendingPathComponent("outside").path
        outsideTmp = (NSTemporaryDirectory() as NSString).appendingPathComponent("pour-hostile-\(UUID().uuidString)")
        for directory in [outsideNear, outsideTmp] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data("canary\n".utf8).write(to: URL(fileURLWithPath: directory + "/canary"))
        }
        let bottle = fixture.root.appendingPathComponent("hostile.tar.gz").path
        if let rawBottle { try rawBottle(bottle) } else { try CustomBottle.writeArchive(entries(outsideNear, outsideTmp), to: bottle) }
        try CustomBottle.publish(bottleAt: bottle, as: "hostile", in: fixture.registry, manifest: fixture.manifest)

        let excluded = ["prefix", "cache"]
        let beforeRoot = Reliability.snapshot(fixture.root.path, excluding: excluded)
        let beforeTmp = Reliability.snapshot(outsideTmp)
        var configuration = fixture.configuration()
        configuration.extractionLimits = limits
        let run = install(["user", "good"], configuration: configuration, file: file, line: line)
        let layout = configuration.layout

        XCTAssertEqual(Reliability.snapshot(fixture.root.path, excluding: excluded), beforeRoot, "written outside the prefix", file: file, line: line)
        XCTAssertEqual(Reliability.snapshot(outsideTmp), beforeTmp, "written into the temporary directory", file: file, line: line)
        XCTAssertEqual(try String(contentsOfFile: outsideNear + "/canary", encoding: .utf8), "canary\n", file: file, line: line)
        XCTAssertFalse(tree(layout.prefix).contains { $0.hasSuffix("pwned") }, "hostile payload landed in the prefix", file: file, line: line)
        assertConsistentPrefix(layout: layout, manifest: fixture.manifest, files: ["hostile": files], file: file, line: line)
        var failure: PackageFailure?
        if case .failed(let f)? = run.outcome("hostile") { failure = f }
        if expectFailure {
            assertOutcomes(run, installed: ["good"], failed: ["hostile"], skipped: ["user"], file: file, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: layout.cellar + "/hostile"), file: file, line: line)
            if let failure { print("hostile → \(failure.description)") }
        }
        return Outcome(fixture: fixture, run: run, failure: failure, layout: layout)
    }

    private let keg = "hostile/1.0.0"

    func testDotDotPathIsRefused() throws {
        let outcome = try hostileInstall { near, _ in
            [Entry("hostile/1.0.0/", .directory), .file("hostile/1.0.0/" + self.climb(to: near + "/pwned"), "x")]
        }
        guard case .unpack(.unsafePath(_, let entry, _))? = outcome.failure else { return XCTFail("\(String(describing: outcome.failure))") }
        XCTAssertTrue(entry.contains(".."))
    }

    func testAbsolutePathIsRefused() throws {
        let outcome = try hostileInstall { _, tmp in [Entry("hostile/1.0.0/", .directory), .file(tmp + "/pwned", "x")] }
        guard case .unpack(.unsafePath)? = outcome.failure else { return XCTFail("\(String(describing: outcome.failure))") }
    }

    func testSymlinkOutOfTheKegThenAFileWrittenThroughItIsRefused() throws {
        for target in [{ (near: String, _: String) in self.climb(to: near) }, { (_: String, tmp: String) in tmp }] {
            let outcome = try hostileInstall { near, tmp in
                [Entry("hostile/1.0.0/", .directory), Entry("hostile/1.0.0/escape", .symlink(target: target(near, tmp))),
                 .file("hostile/1.0.0/escape/pwned", "x")]
            }
            guard case .unpack(.unsafeSymlink(_, let entry, _))? = outcome.failure else { return XCTFail("\(String(describing: outcome.failure))") }
            XCTAssertEqual(entry, "hostile/1.0.0/escape")
        }
    }

    /// Paths are bytes to the kernel: a `/` followed by a combining mark is a separator there, but
    /// one `Character` to Swift, so a `Character`-wise split would not see that slash and its
    /// symlink checks would miss the ancestor before it. Here `s` leads back to the keg root, so
    /// `…/s/\u{301}t` is created at the keg root with a target that lexically stays in the keg
    /// (the checker counts `s/\u{301}t` as one component) but physically climbs out of it; the
    /// file behind `alias` (another way to `s`) would then land outside.
    func testCombiningMarkAfterASlashIsStillASeparator() throws {
        let outcome = try hostileInstall { near, _ in
            let depth = 40
            let dirs = (1 ... depth).map { "d\($0)" }
            var entries = [Entry("hostile/1.0.0/", .directory)]
            for level in 1 ... depth {
                entries.append(Entry("hostile/1.0.0/" + dirs.prefix(level).joined(separator: "/") + "/", .directory))
            }
            let deep = "hostile/1.0.0/" + dirs.joined(separator: "/")
            entries.append(Entry(deep + "/s", .symlink(target: String(repeating: "../", count: depth))))
            entries.append(Entry(deep + "/s/\u{301}t", .symlink(target: String(repeating: "../", count: depth) + near.dropFirst())))
            entries.append(Entry("hostile/1.0.0/alias", .symlink(target: dirs.joined(separator: "/") + "/s")))
            entries.append(.file("hostile/1.0.0/alias/\u{301}t/pwned", "x"))
            return entries
        }
        guard case .unpack(.unsafePath(_, let entry, let reason))? = outcome.failure else {
            return XCTFail("\(String(describing: outcome.failure))")
        }
        XCTAssertTrue(entry.hasSuffix("/s/\u{301}t"), entry)
        XCTAssertTrue(reason.contains("through the symlink"), reason)
    }

    /// Swift compares `String`s by canonical equivalence (`"\u{E9}" == "e\u{301}"`), the kernel by
    /// bytes: the record of which paths are symlinks must tell the two spellings apart — a real
    /// directory spelt one way is written into, a file below the symlink spelt the other way is
    /// refused (before, the directory was refused as "replacing" the symlink, and which of the two
    /// a later entry went through depended on `String` equality).
    func testCanonicallyEquivalentNamesAreDifferentFiles() throws {
        let outcome = try hostileInstall { _, _ in
            [Entry("hostile/1.0.0/", .directory), Entry("hostile/1.0.0/sub/", .directory),
             Entry("hostile/1.0.0/sub/caf\u{E9}", .symlink(target: "..")),
             Entry("hostile/1.0.0/sub/cafe\u{301}/", .directory),
             .file("hostile/1.0.0/sub/cafe\u{301}/ok", "fine"),
             .file("hostile/1.0.0/sub/caf\u{E9}/pwned", "x")]
        }
        guard case .unpack(.unsafePath(_, let entry, let reason))? = outcome.failure else {
            return XCTFail("\(String(describing: outcome.failure))")
        }
        XCTAssertEqual(Array(entry.utf8), Array("hostile/1.0.0/sub/caf\u{E9}/pwned".utf8), entry)
        XCTAssertTrue(reason.utf8.elementsEqual("it would be written through the symlink sub/caf\u{E9}".utf8), reason)
    }

    func testHardlinkToOutsideIsRefused() throws {
        for absolute in [true, false] {
            let outcome = try hostileInstall { near, _ in
                [Entry("hostile/1.0.0/", .directory),
                 Entry("hostile/1.0.0/pwned", .hardlink(target: absolute ? near + "/canary" : "hostile/1.0.0/" + self.climb(to: near + "/canary")))]
            }
            guard case .unpack(.unsafeHardlink)? = outcome.failure else { return XCTFail("\(absolute): \(String(describing: outcome.failure))") }
        }
    }

    func testDeviceNodesAndFIFOsAreRefused() throws {
        let kinds: [(Entry.Kind, String)] = [(.fifo, "FIFO"), (.characterDevice(major: 1, minor: 3), "character device"),
                                             (.blockDevice(major: 7, minor: 0), "block device")]
        for (kind, name) in kinds {
            let outcome = try hostileInstall { _, _ in [Entry("hostile/1.0.0/", .directory), Entry("hostile/1.0.0/bin/node", kind)] }
            guard case .unpack(.unsupportedEntryType(_, _, let type))? = outcome.failure else { return XCTFail("\(name): \(String(describing: outcome.failure))") }
            XCTAssertEqual(type, name)
        }
    }

    func testSetuidAndSetgidBitsAreNeutralised() throws {
        let outcome = try hostileInstall({ _, _ in
            [Entry("hostile/1.0.0/", .directory), Entry("hostile/1.0.0/bin/", .directory, permissions: 0o3755),
             .file("hostile/1.0.0/bin/suid", "#!/bin/sh\necho hi\n", permissions: 0o4755),
             .file("hostile/1.0.0/bin/sgid", "#!/bin/sh\necho hi\n", permissions: 0o2755)]
        }, expectFailure: false, files: ["bin/suid", "bin/sgid"])
        assertOutcomes(outcome.run, installed: ["hostile", "user", "good"])
        let keg = outcome.layout.keg("hostile", "1.0.0")
        for path in ["bin", "bin/suid", "bin/sgid"] {
            var info = stat()
            XCTAssertEqual(lstat(keg + "/" + path, &info), 0, path)
            XCTAssertEqual(info.st_mode & 0o7000, 0, "\(path) keeps special bits: \(String(info.st_mode, radix: 8))")
            XCTAssertEqual(info.st_mode & 0o111, 0o111, "\(path) stays executable")
        }
    }

    func testEntriesOutsideNameVersionAreRefused() throws {
        for path in ["other/1.0.0/pwned", "hostile/2.0/pwned", "pwned", "./hostile/1.0.0/../../other/pwned"] {
            let outcome = try hostileInstall { _, _ in [Entry("hostile/1.0.0/", .directory), .file(path, "x")] }
            guard case .unpack(.unsafePath)? = outcome.failure else { return XCTFail("\(path): \(String(describing: outcome.failure))") }
        }
    }

    func testDecompressionBombStopsAtTheConfiguredCap() throws {
        // 64 MiB of zeros gzip to ~64 KiB; the cap is 4 MiB. One big entry, then many 1 MiB ones.
        let limits = ExtractionLimits(maxTotalBytes: 4 << 20)
        let one = try hostileInstall({ _, _ in [Entry("hostile/1.0.0/", .directory), Entry("hostile/1.0.0/bomb", .zeros(size: 64 << 20))] },
                                     limits: limits)
        XCTAssertLessThan(try FileDigest.size(one.fixture, "hostile"), 1 << 20, "the bomb is small on the wire")
        guard case .unpack(.sizeLimitExceeded(_, _, let cap))? = one.failure else { return XCTFail("\(String(describing: one.failure))") }
        XCTAssertEqual(cap, 4 << 20)
        let many = try hostileInstall({ _, _ in
            [Entry("hostile/1.0.0/", .directory)] + (0..<64).map { Entry("hostile/1.0.0/part\($0)", .zeros(size: 1 << 20)) }
        }, limits: limits)
        guard case .unpack(.sizeLimitExceeded(_, let entry, _))? = many.failure else { return XCTFail("\(String(describing: many.failure))") }
        XCTAssertEqual(entry, "hostile/1.0.0/part4", "stops at the first entry past the cap")
    }

    func testHundredThousandTinyEntriesHitALowerEntryCap() throws {
        let count = Reliability.count("POUR_TINY_ENTRIES", default: 100_000)
        let outcome = try hostileInstall({ _, _ in
            [Entry("hostile/1.0.0/", .directory), Entry("hostile/1.0.0/libexec/", .directory)]
                + (0..<count).map { .file("hostile/1.0.0/libexec/f\($0)", "") }
        }, limits: ExtractionLimits(maxEntries: 10_000))
        guard case .unpack(.entryCountLimitExceeded(_, 10_000))? = outcome.failure else { return XCTFail("\(String(describing: outcome.failure))") }
    }

    /// A real bottle's bytes, then damaged by `damage` (seeded, so a failure reproduces).
    private func damagedBottle(_ damage: @escaping (inout [UInt8], inout SeededRandom) -> Void) -> (String) throws -> Void {
        { path in
            var random = SeededRandom.derived(seed: Reliability.seed, label: "corrupt")
            let entries = [Entry("hostile/1.0.0/", .directory)] + (0..<8).map { index in
                Entry("hostile/1.0.0/share/data\(index)", .file(contents: (0..<32_768).map { _ in UInt8(truncatingIfNeeded: random.next()) }))
            }
            try CustomBottle.writeArchive(entries, to: path)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            damage(&bytes, &random)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
    }

    func testGzipCutMidwayIsADamagedArchiveError() throws {
        let outcome = try hostileInstall({ _, _ in [] }, rawBottle: damagedBottle { bytes, _ in bytes.removeLast(bytes.count / 2) })
        guard case .unpack(.corruptArchive)? = outcome.failure else { return XCTFail("\(String(describing: outcome.failure))") }
        XCTAssertTrue(outcome.failure!.description.contains("damaged"))
    }

    func testGzipCorruptedMidwayIsRefused() throws {
        print("ReliabilityHostileArchiveTests.corrupt seed=\(Reliability.seed)")
        let outcome = try hostileInstall({ _, _ in [] }, rawBottle: damagedBottle { bytes, random in
            let start = bytes.count / 4 + random.below(bytes.count / 2)
            for index in start..<min(bytes.count, start + 64) { bytes[index] ^= UInt8(truncatingIfNeeded: random.next() | 1) }
        })
        // The bottle matched its published SHA-256, so the damage is the publisher's: inflate
        // either fails (damaged stream or CRC) or yields garbage headers, which the path checks
        // refuse. Either way the package fails with a message saying what is wrong.
        switch outcome.failure {
        case .unpack(.corruptArchive)?: break
        case .unpack(.unsafePath(_, _, let reason))?: XCTAssertTrue(reason.contains("not UTF-8") || reason.contains("outside"), reason)
        default: XCTFail("\(String(describing: outcome.failure))")
        }
    }

    func testZeroByteBottleIsAClearError() throws {
        let outcome = try hostileInstall({ _, _ in [] }, rawBottle: { path in
            FileManager.default.createFile(atPath: path, contents: Data())
        })
        switch outcome.failure {
        case .unpack(.corruptArchive)?, .unpack(.cannotOpenBottle)?: break
        default: XCTFail("\(String(describing: outcome.failure))")
        }
    }
}

private enum FileDigest {
    static func size(_ fixture: RegistryFixture, _ name: String) throws -> Int {
        let json = try Data(contentsOf: fixture.registry.appendingPathComponent("api/formula/\(name).json"))
        let text = String(decoding: json, as: UTF8.self)
        guard let range = text.range(of: "blobs/sha256:") else { return -1 }
        let sha = String(text[range.upperBound...].prefix(64))
        let attributes = try FileManager.default.attributesOfItem(atPath: fixture.registry.appendingPathComponent("blobs/sha256:\(sha)").path)
        return (attributes[.size] as? Int) ?? -1
    }
}
