import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Issue 16 item 3, extraction from the socket (`StreamingExtraction`): a large bottle is extracted
/// while its bytes arrive, committed only once the download verified them, and every other end
/// (corrupt body, restarted download, cancel, hostile entry) leaves what the non-streamed path
/// leaves. Real server, real libarchive, real OpenSSL; the server's `BodyHold` keeps a bottle's
/// last bytes back so the tests can look at the client while the download is provably unfinished.
final class StreamingExtractionTests: XCTestCase {
    /// Compressed size of the streamed bottle: above the 4 MiB default threshold.
    private let bigSize = 5 << 20
    /// Bytes the server keeps back while a test looks.
    private let tail = 32 << 10

    private func bigFixture() throws -> RegistryFixture {
        try RegistryFixture(recipe: .custom([FormulaSpec(name: "big", targetCompressedSize: bigSize)]))
    }

    /// The fixture's configuration with transfer deadlines long enough for a held body (the
    /// fixture's 1 s stall limit would otherwise restart it, which abandons the stream).
    private func patientConfiguration(_ fixture: RegistryFixture) -> InstallConfiguration {
        var configuration = fixture.configuration()
        configuration.timeouts = TransferTimeouts(connect: 5, stallSeconds: 120, stallBytesPerSecond: 1, firstByte: 30)
        return configuration
    }

    private func blobSize(_ fixture: RegistryFixture, _ name: String, sha: String? = nil) throws -> Int {
        let path = fixture.registry.appendingPathComponent("blobs/sha256:\(sha ?? fixture.sha256(of: name))").path
        return try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    /// An install started in the background: its events as they happen, its completion, its handle.
    private final class Background: @unchecked Sendable {
        let events = Locked<[InstallEvent]>([])
        let result = Locked<Result<InstallReport, InstallError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        var handle: InstallHandle?

        init(_ names: [String], configuration: InstallConfiguration, options: InstallOptions = InstallOptions()) {
            let queue = DispatchQueue(label: "test.stream.callbacks")
            handle = Installer(configuration: configuration).install(
                names, options: options, callbackQueue: queue,
                events: { [events] event in events.withLock { $0.append(event) } },
                completion: { [result, done] outcome in
                    result.withLock { $0 = outcome }
                    done.signal()
                })
        }

        func wait() -> Result<InstallReport, InstallError>? {
            _ = done.wait(timeout: .now() + 300)
            return result.current
        }
    }

    /// Waits (condition, not a sleep: bounded by a generous deadline) for a regular file with data
    /// in the run's staging directory.
    private func waitForStagedFile(_ layout: PrefixLayout, timeout: TimeInterval = 60) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            for path in tree(layout.staging) {
                var info = stat()
                if lstat(layout.staging + "/" + path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 {
                    return path
                }
            }
            usleep(5_000)
        }
        return nil
    }

    /// Waits (bounded) for `condition`.
    private func waitUntil(timeout: TimeInterval = 60, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }

    /// Every path of a keg with its mode, link target and content digest (receipt excluded: it
    /// records the install time).
    private func kegImage(_ keg: String) throws -> [String: String] {
        var image: [String: String] = [:]
        for path in tree(keg) where path != InstallReceipt.fileName {
            let full = keg + "/" + path
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            var value = String(info.st_mode, radix: 8)
            switch info.st_mode & S_IFMT {
            case S_IFLNK: value += " -> " + (try FileManager.default.destinationOfSymbolicLink(atPath: full))
            case S_IFREG:
                let hasher = SHA256Hasher()
                hasher.update(try Data(contentsOf: URL(fileURLWithPath: full)))
                value += " " + hasher.finalizeHex()
            default: break
            }
            image[path] = value
        }
        return image
    }

    private func index(of event: InstallEvent, in events: [InstallEvent]) -> Int? { events.firstIndex(of: event) }

    private func downloadFinishedIndex(_ name: String, in events: [InstallEvent]) -> Int? {
        events.firstIndex { if case .downloadFinished(name, _, _) = $0 { return true } else { return false } }
    }

    // MARK: - The streamed path

    func testExtractionStartsBeforeTheLastBytesAndMatchesTheVerifiedPath() throws {
        let fixture = try bigFixture()
        let configuration = patientConfiguration(fixture)
        let layout = configuration.layout
        let size = try blobSize(fixture, "big")
        XCTAssertGreaterThanOrEqual(size, 4 << 20, "the bottle must be large enough to stream")
        fixture.server.bodyHold.hold(sha256: fixture.sha256(of: "big"), afterBytes: size - tail)

        let run = Background(["big"], configuration: configuration)
        let staged = waitForStagedFile(layout)
        // A file of the keg is in staging while the server still holds the bottle's last bytes.
        XCTAssertNotNil(staged, "no file was extracted while the download was unfinished")
        XCTAssertFalse(fixture.server.bodyHold.isReleased, "the server had already sent the whole bottle")
        XCTAssertNil(downloadFinishedIndex("big", in: run.events.current), "the download had already finished")
        XCTAssertEqual(tree(layout.downloads).filter { $0.hasSuffix(".bottle.tar.gz") }, [], "a verified file before the last bytes")
        fixture.server.bodyHold.release()

        guard case .success(let report)? = run.wait() else { return XCTFail("install failed: \(String(describing: run.result.current))") }
        XCTAssertEqual(report.packages.first?.outcome, .installed)
        let events = run.events.current
        let extracting = try XCTUnwrap(index(of: .extracting(name: "big"), in: events))
        XCTAssertLessThan(extracting, try XCTUnwrap(downloadFinishedIndex("big", in: events)), "streamed: extraction announced first")
        XCTAssertEqual(events.filter { $0 == .extracting(name: "big") }.count, 1)
        let keg = layout.keg("big", fixture.manifest.formulae["big"]!.pkgVersion)
        XCTAssertTrue(FileManager.default.fileExists(atPath: keg + "/" + InstallReceipt.fileName))
        assertConsistentPrefix(layout: layout, manifest: fixture.manifest, "after the streamed install")
        let streamedImage = try kegImage(keg)
        XCTAssertFalse(streamedImage.isEmpty)

        // The same bottle through the ordinary path (verified cache file, streaming off), same prefix.
        var options = InstallOptions(force: true)
        options.streamExtraction = false
        let reference = install(["big"], configuration: configuration, options: options)
        assertOutcomes(reference, installed: ["big"])
        let referenceEvents = reference.events.map(\.event)
        XCTAssertGreaterThan(try XCTUnwrap(index(of: .extracting(name: "big"), in: referenceEvents)),
                             try XCTUnwrap(downloadFinishedIndex("big", in: referenceEvents)), "reference: not streamed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: keg + "/" + InstallReceipt.fileName))
        XCTAssertEqual(streamedImage, try kegImage(keg), "streamed keg differs from the one extracted from the cache file")
        assertConsistentPrefix(layout: layout, manifest: fixture.manifest, "after the reference install")
    }

    // MARK: - Commit only when the digest matches

    /// The whole body arrives and extracts, but it is not the bottle the formula names: nothing
    /// streamed may be committed. Two ways: every byte flipped on the wire (same length), and a
    /// formula whose published digest is not the served bottle's (the stream extracts a complete,
    /// valid archive before the digest check fails).
    func testBodyWithTheWrongDigestFailsAndLeavesNothing() throws {
        for variant in ["wrong bytes on the wire", "digest that does not match"] {
            let fixture = try bigFixture()
            let configuration = patientConfiguration(fixture)
            let layout = configuration.layout
            let real = fixture.sha256(of: "big")
            if variant == "wrong bytes on the wire" {
                fixture.server.faults.add(.wrongBytes, for: .sha256(real), times: nil)
            } else {
                let fake = String(repeating: "ab", count: 32)
                try CustomBottle.editFormulaJSON(in: fixture.registry, name: "big") {
                    $0.replacingOccurrences(of: "\"sha256\":\"\(real)\"", with: "\"sha256\":\"\(fake)\"")
                }
            }
            let run = install(["big"], configuration: configuration)
            let events = run.events.map(\.event)
            XCTAssertNotNil(index(of: .extracting(name: "big"), in: events), "\(variant): the stream did not start")
            guard case .failed(.download(.checksumMismatch))? = run.outcome("big") else {
                XCTFail("\(variant): \(String(describing: run.outcome("big")))")
                continue
            }
            XCTAssertEqual(tree(layout.cellar), [], "\(variant): something reached the Cellar")
            XCTAssertEqual(tree(layout.staging), [], "\(variant): staging leftovers")
            XCTAssertEqual(tree(layout.downloads).filter { !$0.hasSuffix(".json") }, [],
                           "\(variant): the cache holds a file for the bad body")
        }
    }

    // MARK: - Fall back on any restart

    /// The first attempt streams; a reset makes the download retry with a Range, which the server
    /// ignores (200, whole body) or answers with the wrong Content-Range: the stream is abandoned
    /// and the package installs from the verified cache file.
    func testRestartedDownloadFallsBackAndInstalls() throws {
        for restart in [Fault.ignoreRange, .wrongContentRange] {
            let fixture = try bigFixture()
            let configuration = fixture.configuration()
            let sha = fixture.sha256(of: "big")
            fixture.server.faults.add(.resetAfter(bytes: 1 << 20), for: .sha256(sha))
            fixture.server.faults.add(restart, for: .sha256(sha))
            let run = install(["big"], configuration: configuration)
            assertOutcomes(run, installed: ["big"])
            XCTAssertEqual(fixture.server.faults.pending, [], "\(restart): the scripted restart did not happen")
            let events = run.events.map(\.event)
            XCTAssertEqual(events.filter { $0 == .extracting(name: "big") }.count, 1, "\(restart)")
            XCTAssertTrue(events.contains { if case .downloadRetrying("big", _, _, _) = $0 { return true } else { return false } })
            assertConsistentPrefix(layout: configuration.layout, manifest: fixture.manifest, "\(restart)")
        }
    }

    // MARK: - Cancellation

    /// Ctrl-C while the streaming reader waits for bytes the server holds back: the run ends (its
    /// tear-down joins the streaming operation, so no thread is left blocked) while the server is
    /// still holding, and leaves no staging, no partial file, nothing in the Cellar.
    func testCancelWhileTheReaderWaitsEndsCleanly() throws {
        let fixture = try bigFixture()
        let configuration = patientConfiguration(fixture)
        let layout = configuration.layout
        let size = try blobSize(fixture, "big")
        fixture.server.bodyHold.hold(sha256: fixture.sha256(of: "big"), afterBytes: size - tail)
        let run = Background(["big"], configuration: configuration)
        XCTAssertNotNil(waitForStagedFile(layout), "the streamed extraction did not start")
        // The server is parked at the hold point: the reader runs dry and blocks at the frontier.
        XCTAssertTrue(waitUntil { fixture.server.bodyHold.isHolding }, "the server never reached the hold point")
        run.handle?.cancel()
        let result = run.wait()
        XCTAssertFalse(fixture.server.bodyHold.isReleased, "the run ended only because the bytes arrived")
        fixture.server.bodyHold.release()
        guard case .failure(.cancelled(let report))? = result else { return XCTFail("\(String(describing: result))") }
        XCTAssertEqual(report.packages.first?.outcome, .skipped(reason: .cancelled))
        XCTAssertEqual(tree(layout.staging), [], "staging leftovers")
        XCTAssertEqual(tree(layout.cellar), [], "something reached the Cellar")
        XCTAssertEqual(tree(layout.downloads).filter { $0.hasSuffix(".incomplete") }, [], "partial file left")
    }

    // MARK: - Containment through the streamed path

    /// ReliabilityContainmentTests' link chain (each link text stays in the keg; followed on disk
    /// it climbs out) is refused when the bottle streams too (threshold lowered so this small
    /// archive streams), and nothing outside the prefix changes.
    func testHostileLinkChainIsRefusedWhileStreaming() throws {
        let keg = "hostile/1.0.0/"
        let fixture = try RegistryFixture(recipe: .custom([FormulaSpec(name: "hostile", targetCompressedSize: 20_000)]))
        let sentinel = fixture.root.appendingPathComponent("outside").path
        try FileManager.default.createDirectory(atPath: sentinel, withIntermediateDirectories: true)
        try Data("canary\n".utf8).write(to: URL(fileURLWithPath: sentinel + "/canary"))
        let bottle = fixture.root.appendingPathComponent("hostile.tar.gz").path
        try CustomBottle.writeArchive([
            .init(keg, .directory), .init(keg + "a/b/c/", .directory),
            .init(keg + "a/b/c/up", .symlink(target: "../../..")),
            .init(keg + "bin/", .directory),
            .init(keg + "bin/esc", .symlink(target: "../a/b/c/up/../../../../outside/canary")),
        ], to: bottle)
        try CustomBottle.publish(bottleAt: bottle, as: "hostile", in: fixture.registry, manifest: fixture.manifest)
        var options = InstallOptions()
        options.streamingMinimumBytes = 0
        let configuration = patientConfiguration(fixture)
        // The archive is a few hundred bytes: without a hold its download can end before the
        // stream is set up. The server keeps the gzip trailer back until the streamed
        // extraction has started (and refused the link), so this is the streamed path for sure.
        fixture.server.bodyHold.hold(sha256: fixture.sha256(of: "hostile"), afterBytes: try blobSize(fixture, "hostile") - 8)
        let run = Background(["hostile"], configuration: configuration, options: options)
        XCTAssertTrue(waitUntil { run.events.current.contains(.extracting(name: "hostile")) }, "not streamed")
        XCTAssertFalse(fixture.server.bodyHold.isReleased, "the extraction started only after the last bytes")
        fixture.server.bodyHold.release()
        let report: InstallReport?
        switch run.wait() {
        case .success(let value)?: report = value
        default: report = nil
        }
        let outcome = report?.packages.first { $0.name == "hostile" }?.outcome
        guard case .failed(.unpack(.unsafeSymlink(_, let entry, _)))? = outcome else {
            return XCTFail("\(String(describing: outcome))")
        }
        XCTAssertEqual(entry, "hostile/1.0.0/bin/esc")
        XCTAssertEqual(try String(contentsOfFile: sentinel + "/canary", encoding: .utf8), "canary\n")
        XCTAssertEqual(tree(sentinel), ["canary"])
        XCTAssertEqual(tree(configuration.layout.cellar), [])
        XCTAssertEqual(tree(configuration.layout.staging), [], "staging leftovers")
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.prefix + "/bin/esc"))
    }

    // MARK: - The installed-size cap, after the fact

    /// A manifest that arrives only after the streamed extraction began cannot cap that
    /// extraction (its limits were set without it), so the cap is applied once the download is
    /// verified (`KegPreparation.complete`): a bottle whose manifest says it installs 1 byte
    /// (cap: 2 × 1 B + 64 MiB) while it unpacks to 72 MiB of zeros (a 72 KB bomb on the wire) is
    /// refused as `sizeLimitExceeded` for the whole keg, and nothing reaches the Cellar or stays in
    /// staging. The configured limit (100 MiB) would have let it through.
    func testAManifestThatArrivesAfterTheStreamBeganStillCapsTheKeg() throws {
        let fixture = try RegistryFixture(recipe: .custom([FormulaSpec(name: "bomb", targetCompressedSize: 20_000)]))
        let entry = try XCTUnwrap(fixture.manifest.formulae["bomb"])
        let keg = "bomb/\(entry.pkgVersion)/"
        let bottle = fixture.root.appendingPathComponent("bomb.tar.gz").path
        try CustomBottle.writeArchive([.init(keg, .directory), .init(keg + "zeros", .zeros(size: 72 << 20))], to: bottle)
        let sha = try CustomBottle.publish(bottleAt: bottle, as: "bomb", in: fixture.registry, manifest: fixture.manifest)
        let size = try blobSize(fixture, "bomb", sha: sha)
        // The registry's manifest names the new blob and says it installs 1 byte.
        let manifestPath = fixture.registry.appendingPathComponent("manifests/\(entry.image)/\(entry.pkgVersion)").path
        var text = try String(contentsOfFile: manifestPath, encoding: .utf8)
        text = text.replacingOccurrences(of: entry.sha256, with: sha)
            .replacingOccurrences(of: "\"sh.brew.bottle.size\":\"\(entry.size)\"", with: "\"sh.brew.bottle.size\":\"\(size)\"")
            .replacingOccurrences(of: "\"sh.brew.bottle.installed_size\":\"\(entry.installedSize)\"", with: "\"sh.brew.bottle.installed_size\":\"1\"")
        XCTAssertTrue(text.contains("\"sh.brew.bottle.installed_size\":\"1\""), "the manifest was edited")
        try text.write(toFile: manifestPath, atomically: true, encoding: .utf8)

        var configuration = patientConfiguration(fixture)
        configuration.extractionLimits = ExtractionLimits(maxTotalBytes: 100 << 20)
        var options = InstallOptions()
        options.streamingMinimumBytes = 0
        // The bottle's gzip trailer is held back, and the manifest trickles in (about 5 s).
        fixture.server.bodyHold.hold(sha256: sha, afterBytes: size - 8)
        fixture.server.faults.add(.trickle(bytesPerSecond: 500), for: .pathSuffix("/manifests/\(entry.pkgVersion)"), times: nil)
        let manifestDone = { fixture.server.log.entries.contains { $0.path.hasSuffix("/manifests/\(entry.pkgVersion)") && $0.completed } }
        let run = Background(["bomb"], configuration: configuration, options: options)
        XCTAssertTrue(waitUntil { run.events.current.contains(.extracting(name: "bomb")) }, "not streamed")
        XCTAssertFalse(manifestDone(), "the manifest arrived before the stream began")
        XCTAssertTrue(waitUntil(manifestDone), "the manifest never arrived")
        XCTAssertFalse(fixture.server.bodyHold.isReleased)
        fixture.server.bodyHold.release()

        let outcome: PackageOutcome?
        switch run.wait() {
        case .success(let report)?: outcome = report.packages.first { $0.name == "bomb" }?.outcome
        default: outcome = nil
        }
        guard case .failed(.unpack(.sizeLimitExceeded(_, let member, let cap)))? = outcome else {
            return XCTFail("\(String(describing: outcome))")
        }
        XCTAssertEqual(member, "(the whole keg)")
        XCTAssertEqual(cap, 2 + (64 << 20), "the manifest's cap, not the configured 100 MiB")
        XCTAssertEqual(tree(configuration.layout.cellar), [], "something reached the Cellar")
        XCTAssertEqual(tree(configuration.layout.staging), [], "staging leftovers")
    }

    /// Every streaming slot taken (5 transfer slots, 4 streaming slots): the fifth bottle worth
    /// streaming waits instead of giving up, and when a slot comes back it follows its download
    /// from byte 0 while its last bytes are still on the server; its keg is the one the verified
    /// file gives. Before this, a bottle that found the slots full extracted whole after its last
    /// byte (the deep closure's 30 MB bottle: 0.17–0.23 s of the run's tail).
    func testABottleThatFoundEverySlotTakenStreamsWhenASlotComesBack() throws {
        let names = ["s1", "s2", "s3", "s4", "s5"]
        let fixture = try RegistryFixture(recipe: .custom(names.map { FormulaSpec(name: $0, targetCompressedSize: 300_000) }))
        var configuration = patientConfiguration(fixture)
        configuration.jobs = 5
        var options = InstallOptions()
        options.streamingMinimumBytes = 0
        let shas = Dictionary(uniqueKeysWithValues: try names.map { ($0, fixture.sha256(of: $0)) })
        for name in names { fixture.server.bodyHold.hold(sha256: shas[name]!, afterBytes: try blobSize(fixture, name) - tail) }

        let run = Background(names, configuration: configuration, options: options)
        let streamed = { names.filter { run.events.current.contains(.extracting(name: $0)) } }
        XCTAssertTrue(waitUntil { names.allSatisfy { fixture.server.bodyHold.isHolding(sha256: shas[$0]!) } && streamed().count == 4 },
                      "every download at its hold point, four streamed: \(streamed())")
        let waiting = try XCTUnwrap(names.first { !streamed().contains($0) })
        XCTAssertEqual(streamed().count, 4, "only four streaming slots")

        // One streamed bottle finishes: its slot comes back while `waiting`'s last bytes are held.
        let first = try XCTUnwrap(streamed().first)
        fixture.server.bodyHold.release(sha256: shas[first]!)
        XCTAssertTrue(waitUntil(timeout: 30) { run.events.current.contains(.extracting(name: waiting)) },
                      "\(waiting) did not stream when a slot came back")
        XCTAssertTrue(fixture.server.bodyHold.isHolding(sha256: shas[waiting]!), "\(waiting)'s last bytes were already sent")
        XCTAssertNil(downloadFinishedIndex(waiting, in: run.events.current))
        fixture.server.bodyHold.release()

        guard case .success(let report)? = run.wait() else { return XCTFail("install failed: \(String(describing: run.result.current))") }
        XCTAssertEqual(report.packages.map(\.outcome), Array(repeating: .installed, count: 5))
        let events = run.events.current
        XCTAssertLessThan(try XCTUnwrap(index(of: .extracting(name: waiting), in: events)),
                          try XCTUnwrap(downloadFinishedIndex(waiting, in: events)))
        XCTAssertEqual(events.filter { $0 == .extracting(name: waiting) }.count, 1)

        // The late-streamed keg is the keg the verified bottle gives without streaming.
        let keg = configuration.layout.keg(waiting, try XCTUnwrap(fixture.manifest.formulae[waiting]).pkgVersion)
        let streamedImage = try kegImage(keg)
        XCTAssertFalse(streamedImage.isEmpty)
        var referenceOptions = InstallOptions(force: true)
        referenceOptions.streamExtraction = false
        assertOutcomes(install([waiting], configuration: configuration, options: referenceOptions), installed: [waiting])
        XCTAssertEqual(streamedImage, try kegImage(keg), "late-streamed keg differs from the one extracted from the cache file")
        XCTAssertEqual(tree(configuration.layout.staging), [], "staging leftovers")
    }

    // MARK: - Switch

    /// With streaming off the same bottle is extracted only after its download finished.
    func testStreamingOffExtractsAfterTheDownload() throws {
        let fixture = try bigFixture()
        var options = InstallOptions()
        options.streamExtraction = false
        let run = install(["big"], configuration: fixture.configuration(), options: options)
        assertOutcomes(run, installed: ["big"])
        let events = run.events.map(\.event)
        XCTAssertGreaterThan(try XCTUnwrap(index(of: .extracting(name: "big"), in: events)),
                             try XCTUnwrap(downloadFinishedIndex("big", in: events)))
    }
}
