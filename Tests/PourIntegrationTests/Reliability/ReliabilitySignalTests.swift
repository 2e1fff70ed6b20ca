import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Issue #8, parts 2 and 3: SIGINT, SIGTERM and SIGKILL delivered to a real `pour install` at
/// seeded random instants (delays after start drawn from `POUR_SEED`), on a server throttled so
/// each run lasts a few seconds and the instants fall across download, extraction, relocation and
/// linking. SignalTests covers one signal at one named event; this covers many instants.
///
/// Counts: `POUR_SIGNAL_RUNS` (default 8 per signal; CI soak: 20) and `POUR_KILL_RUNS`
/// (default 8; soak: 20).
final class ReliabilitySignalTests: XCTestCase {
    /// Uneven sizes so small bottles are extracted and linked while big ones still download.
    /// Total ≈ 3.2 MB at 1 MB/s aggregate: no run can finish in under ~3.2 s, and every drawn
    /// delay is below 2.8 s, so every signal lands in a live run (a guarantee of the rate limit,
    /// not a timing assumption about pour).
    static let sizes: [String: Int] = ["a": 60_000, "b": 120_000, "c": 200_000, "d": 700_000,
                                       "e": 800_000, "f": 90_000, "g": 230_000, "h": 1_000_000]
    static let rate = 1_000_000
    static let maxDelay = 2.8

    static func recipe() -> RegistryRecipe {
        RegistryRecipe(name: "signals", specs: Reliability.graph().specs.map { spec in
            var spec = spec
            spec.targetCompressedSize = sizes[spec.name] ?? 100_000
            // Two `:any` bottles so relocation has work too.
            if spec.name == "c" || spec.name == "h" { spec.cellar = .any }
            return spec
        })
    }

    private var fixture: RegistryFixture!
    /// An unthrottled server on the same registry for the reruns (the cache key is the bottle's
    /// published URL, so `.incomplete` files left by a kill are still resumed).
    private var fastServer: RegistryServer!

    override func setUpWithError() throws {
        fixture = try RegistryFixture(recipe: Self.recipe(), server: ServerConfiguration(aggregateRate: Self.rate))
        fastServer = try RegistryServer(root: fixture.registry)
        try fastServer.start()
    }

    override func tearDown() {
        fastServer?.shutdown()
        fixture = nil
        super.tearDown()
    }

    private func layout(run: Int, label: String) -> PrefixLayout {
        let base = fixture.root.appendingPathComponent("\(label)-\(run)").path
        return PrefixLayout(prefix: base + "/prefix", cache: base + "/cache")
    }

    private func fastConfiguration(_ layout: PrefixLayout) -> InstallConfiguration {
        let environment = ["HOMEBREW_API_DOMAIN": fastServer.registryBaseURL + "/api",
                           "HOMEBREW_ARTIFACT_DOMAIN": fastServer.registryBaseURL,
                           "HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK": "1"]
        var configuration = InstallConfiguration(layout: layout, endpoints: .fromEnvironment(environment), jobs: 8)
        configuration.retryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: 0.05, maxDelay: 0.2, maxRetryAfter: 2)
        return configuration
    }

    /// Starts `pour install h g`, signals it after a seeded delay, and returns its exit status,
    /// how it ended, and the last event it printed before the signal.
    private func signalRun(_ index: Int, _ number: Int32, label: String, random: inout SeededRandom)
        throws -> (layout: PrefixLayout, status: Int32, reason: Process.TerminationReason, phase: String, pour: PourProcess) {
        let layout = layout(run: index, label: label)
        let delay = 0.05 + Double(random.below(1000)) / 1000.0 * (Self.maxDelay - 0.05)
        let pour = try PourProcess(arguments: ["install", "h", "g", "--json", "--prefix", layout.prefix, "--cache", layout.cache],
                                   environment: fixture.environment)
        // The delay is the scenario (a signal at a random instant), not a wait for a result.
        usleep(useconds_t(delay * 1_000_000))
        let seen = pour.output
        pour.signal(number)
        // A cancelled run ends within a second or two; 120 s only turns a hang into a failure
        // that carries every thread's backtrace (it would otherwise stall CI until its limit).
        guard let status = pour.waitForExit(timeout: 120) else {
            let phase = Self.phases(seen)
            XCTFail("\(label) run \(index): pour still running 120 s after signal \(number) (sent after \(Int(delay * 1000)) ms, in flight: \(phase)); output: \(pour.output.suffix(5))\n\(pour.hangReport ?? "")")
            return (layout, -1, .exit, phase, pour)
        }
        let phase = Self.phases(seen)
        print("\(label) run \(index): signal \(number) after \(Int(delay * 1000)) ms, in flight: \(phase), exit \(status)")
        return (layout, status, pour.process.terminationReason, phase, pour)
    }

    /// What each package was doing when the signal came, from the events printed before it:
    /// "download", "extract" (extraction + relocation + receipt), "staged" (waiting for its
    /// dependencies), "link" (commit + link) or "done"; summarised as e.g. "download×3 extract×1".
    static func phases(_ lines: [String]) -> String {
        var latest: [String: String] = [:]
        for line in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let event = object["event"] as? String, let name = object["name"] as? String else { continue }
            switch event {
            case "download_started": latest[name] = "download"
            case "extracting": latest[name] = "extract"
            case "extracted": latest[name] = "staged"
            case "committed": latest[name] = "link"
            case "installed": latest[name] = "done"
            default: break
            }
        }
        let counts = Dictionary(grouping: latest.values, by: { $0 }).mapValues(\.count)
        let order = ["download", "extract", "staged", "link", "done"]
        let summary = order.compactMap { key in counts[key].map { "\(key)×\($0)" } }.joined(separator: " ")
        return summary.isEmpty ? "(resolving)" : summary
    }

    /// After a rerun: every keg installed is complete, receipted and linked.
    private func assertInstalledAndLinked(_ layout: PrefixLayout, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        assertConsistentPrefix(layout: layout, manifest: fixture.manifest, context, file: file, line: line)
        let fm = FileManager.default
        for (name, entry) in fixture.manifest.formulae {
            XCTAssertTrue(fm.fileExists(atPath: layout.keg(name, entry.pkgVersion) + "/INSTALL_RECEIPT.json"), "\(name) not installed \(context)", file: file, line: line)
            XCTAssertTrue(fm.fileExists(atPath: layout.opt + "/" + name), "opt/\(name) missing \(context)", file: file, line: line)
            XCTAssertTrue(fm.fileExists(atPath: layout.linkedKegs + "/" + name), "\(name) not linked \(context)", file: file, line: line)
            for binary in entry.files where binary.hasPrefix("bin/") {
                XCTAssertTrue(fm.fileExists(atPath: layout.prefix + "/" + binary), "\(binary) of \(name) not linked \(context)", file: file, line: line)
            }
        }
    }

    private func gracefulSignals(_ number: Int32, expected: Int32, label: String) throws {
        let runs = Reliability.count("POUR_SIGNAL_RUNS", default: 8)
        let seed = Reliability.seed
        print("ReliabilitySignalTests.\(label): \(runs) runs, seed=\(seed) (POUR_SEED / POUR_SIGNAL_RUNS to change)")
        var random = SeededRandom.derived(seed: seed, label: label)
        var phases: [String: Int] = [:]
        for index in 0..<runs {
            let run = try signalRun(index, number, label: label, random: &random)
            for part in run.phase.split(separator: " ") { phases[String(part.split(separator: "×")[0]), default: 0] += 1 }
            let context = "(\(label) run \(index), seed \(seed))"
            XCTAssertEqual(run.status, expected, "exit status \(context): \(run.pour.output.suffix(3))")
            XCTAssertTrue(run.pour.output.last?.contains("\"status\":\"cancelled\"") == true, "\(context) \(run.pour.output.suffix(2))")
            assertConsistentPrefix(layout: run.layout, manifest: fixture.manifest, context)

            let rerun = install(["h", "g"], configuration: fastConfiguration(run.layout))
            XCTAssertEqual(rerun.report?.succeeded, true, "rerun \(context): \(rerun.result)")
            assertInstalledAndLinked(run.layout, "after rerun \(context)")
        }
        print("\(label): runs with a package in each phase at the signal: \(phases.sorted { $0.key < $1.key })")
    }

    func testSigintAtSeededRandomInstantsExits130AndTheNextRunCompletes() throws {
        try gracefulSignals(SIGINT, expected: 130, label: "sigint")
    }

    func testSigtermAtSeededRandomInstantsExits143AndTheNextRunCompletes() throws {
        try gracefulSignals(SIGTERM, expected: 143, label: "sigterm")
    }

    /// SIGKILL gives pour no chance to clean up: a `.incomplete` download and a run staging
    /// directory may stay (the next run resumes the first and removes the second), but no keg
    /// may ever be partial, and the next run must complete.
    func testSigkillAtSeededRandomInstantsNeverLeavesAPartialKegAndTheNextRunCompletes() throws {
        let runs = Reliability.count("POUR_KILL_RUNS", default: 8)
        let seed = Reliability.seed
        print("ReliabilitySignalTests.sigkill: \(runs) runs, seed=\(seed) (POUR_SEED / POUR_KILL_RUNS to change)")
        var random = SeededRandom.derived(seed: seed, label: "sigkill")
        var leftIncomplete = 0
        for index in 0..<runs {
            let run = try signalRun(index, SIGKILL, label: "sigkill", random: &random)
            let context = "(sigkill run \(index), seed \(seed))"
            XCTAssertEqual(run.reason, .uncaughtSignal, context)
            XCTAssertEqual(run.status, SIGKILL, context)
            assertConsistentPrefix(layout: run.layout, manifest: fixture.manifest, allowStaging: true, allowIncomplete: true, context)
            if tree(run.layout.downloads).contains(where: { $0.hasSuffix(".incomplete") }) { leftIncomplete += 1 }

            let rerun = install(["h", "g"], configuration: fastConfiguration(run.layout))
            XCTAssertEqual(rerun.report?.succeeded, true, "rerun \(context): \(rerun.result)")
            assertInstalledAndLinked(run.layout, "after rerun \(context)")
        }
        print("sigkill: \(leftIncomplete) of \(runs) runs left a .incomplete that the rerun resumed")
    }

    /// The state a SIGKILL between "keg renamed into the Cellar" and "last link made" leaves (the
    /// seeded runs above hit it only at some instants): a receipted keg, links missing, and the
    /// activation marker. The next install must activate it again rather than call it installed;
    /// without the marker, an unlinked keg is the user's choice and stays unlinked.
    func testAKegWhoseActivationWasKilledIsActivatedAgain() throws {
        let layout = layout(run: 0, label: "activation")
        XCTAssertEqual(install(["h", "g"], configuration: fastConfiguration(layout)).report?.succeeded, true)
        func cut(_ name: String) {
            for path in [layout.linkedKegs + "/" + name, layout.opt + "/" + name] { unlink(path) }
            for binary in fixture.manifest.formulae[name]!.files where binary.hasPrefix("bin/") { unlink(layout.prefix + "/" + binary) }
        }
        cut("c")
        cut("f")
        let marker = layout.prefix + "/var/homebrew/tmp/.pour-activating/c"
        try FileManager.default.createDirectory(atPath: (marker as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: marker, contents: nil)

        let rerun = install(["h", "g"], configuration: fastConfiguration(layout))
        XCTAssertEqual(rerun.outcome("c"), .installed, "interrupted activation is redone")
        XCTAssertEqual(rerun.outcome("f"), .alreadyInstalled, "a keg unlinked without the marker is left alone")
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "marker removed once activation completes")
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.linkedKegs + "/c"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.opt + "/c"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.linkedKegs + "/f"))
        assertConsistentPrefix(layout: layout, manifest: fixture.manifest)
    }
}
