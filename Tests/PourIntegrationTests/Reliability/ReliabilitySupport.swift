import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Shared pieces of the reliability suite (issue #8): the 8-package graph, seeded randomness,
/// env-configurable run counts, and the "consistent prefix" invariant every scenario ends on.
enum Reliability {
    /// Eight formulae, three levels deep:
    ///
    ///     h → d → a, b      g → f
    ///     h → e → c → a
    static func graph(size: Int = 200_000) -> RegistryRecipe {
        .custom([
            FormulaSpec(name: "a", targetCompressedSize: size),
            FormulaSpec(name: "b", targetCompressedSize: size),
            FormulaSpec(name: "c", dependencies: ["a"], targetCompressedSize: size),
            FormulaSpec(name: "d", dependencies: ["a", "b"], targetCompressedSize: size),
            FormulaSpec(name: "e", dependencies: ["c"], targetCompressedSize: size),
            FormulaSpec(name: "f", targetCompressedSize: size),
            FormulaSpec(name: "g", dependencies: ["f"], targetCompressedSize: size),
            FormulaSpec(name: "h", dependencies: ["d", "e"], targetCompressedSize: size),
        ])
    }

    static let graphRoots = ["h", "g"]
    static let graphNames = ["a", "b", "c", "d", "e", "f", "g", "h"]

    /// Packages that (transitively) depend on `name` in `graph()`.
    static func dependents(of names: Set<String>) -> Set<String> {
        let deps: [String: [String]] = ["c": ["a"], "d": ["a", "b"], "e": ["c"], "g": ["f"], "h": ["d", "e"]]
        var out = Set<String>()
        var changed = true
        while changed {
            changed = false
            for (name, list) in deps where !out.contains(name) && list.contains(where: { names.contains($0) || out.contains($0) }) {
                out.insert(name)
                changed = true
            }
        }
        return out
    }

    /// `POUR_SEED` if set, else a fixed default so CI runs are reproducible. Printed by callers.
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["POUR_SEED"].flatMap(UInt64.init) ?? 0x5EED_0008
    }

    /// An integer knob from the environment (`POUR_SIGNAL_RUNS`, `POUR_KILL_RUNS`…).
    static func count(_ variable: String, default value: Int) -> Int {
        ProcessInfo.processInfo.environment[variable].flatMap(Int.init).map { max(1, $0) } ?? value
    }

    /// Every path under `directory` with its type, size and mtime, for before/after snapshots.
    static func snapshot(_ directory: String, excluding excluded: [String] = []) -> [String: String] {
        var result: [String: String] = [:]
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return result }
        for case let path as String in enumerator {
            if excluded.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) { continue }
            var info = stat()
            guard lstat(directory + "/" + path, &info) == 0 else { continue }
            result[path] = "\(info.st_mode) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
        return result
    }
}

/// The invariant every reliability scenario ends on: no staging directory, no `.incomplete`
/// (unless `allowIncomplete`, after SIGKILL), every keg present holds all files of the registry
/// manifest and a receipt, and every link in bin/ and opt/ resolves.
func assertConsistentPrefix(layout: PrefixLayout, manifest: RegistryManifest, allowStaging: Bool = false,
                            allowIncomplete: Bool = false, files overrides: [String: [String]] = [:], _ context: String = "",
                            file: StaticString = #filePath, line: UInt = #line) {
    let fm = FileManager.default
    if !allowStaging {
        XCTAssertEqual(tree(layout.staging), [], "staging leftovers \(context)", file: file, line: line)
    }
    if !allowIncomplete {
        XCTAssertEqual(tree(layout.downloads).filter { $0.hasSuffix(".incomplete") }, [], ".incomplete leftovers \(context)", file: file, line: line)
    }
    for (name, entry) in manifest.formulae {
        let keg = layout.keg(name, entry.pkgVersion)
        guard fm.fileExists(atPath: keg) || isSymlink(keg) else { continue }
        XCTAssertTrue(fm.fileExists(atPath: keg + "/INSTALL_RECEIPT.json"), "\(name) keg without receipt \(context)", file: file, line: line)
        // A package whose bottle a test replaced lists its own files.
        let missing = (overrides[name] ?? entry.files).filter { !fm.fileExists(atPath: keg + "/" + $0) && !isSymlink(keg + "/" + $0) }
        XCTAssertEqual(missing, [], "partial keg \(name) \(context)", file: file, line: line)
    }
    // Nothing in the Cellar that is not a whole keg of the registry.
    for rack in (try? fm.contentsOfDirectory(atPath: layout.cellar)) ?? [] {
        for version in (try? fm.contentsOfDirectory(atPath: layout.cellar + "/" + rack)) ?? [] {
            XCTAssertEqual(manifest.formulae[rack]?.pkgVersion, version, "unexpected keg \(rack)/\(version) \(context)", file: file, line: line)
        }
    }
    for directory in ["bin", "opt", "var/homebrew/linked"] {
        for link in tree(layout.prefix + "/" + directory) {
            let path = layout.prefix + "/" + directory + "/" + link
            XCTAssertTrue(fm.fileExists(atPath: path), "dangling link \(directory)/\(link) \(context)", file: file, line: line)
        }
    }
}

/// Expected outcome of each package of a run.
func assertOutcomes(_ run: InstallRecording, installed: Set<String>, failed: Set<String> = [], skipped: Set<String> = [],
                    file: StaticString = #filePath, line: UInt = #line) {
    guard let report = run.report else { return XCTFail("no report: \(run.result)", file: file, line: line) }
    for package in report.packages {
        switch package.outcome {
        case .installed, .alreadyInstalled:
            XCTAssertTrue(installed.contains(package.name), "\(package.name) installed unexpectedly", file: file, line: line)
        case .failed(let failure):
            XCTAssertTrue(failed.contains(package.name), "\(package.name) failed unexpectedly: \(failure)", file: file, line: line)
        case .skipped(let reason):
            XCTAssertTrue(skipped.contains(package.name), "\(package.name) skipped unexpectedly: \(reason)", file: file, line: line)
        }
    }
    XCTAssertEqual(Set(report.packages.map(\.name)), installed.union(failed).union(skipped), "packages in the report", file: file, line: line)
}
