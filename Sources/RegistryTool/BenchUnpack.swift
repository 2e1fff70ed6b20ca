import ArgumentParser
import Foundation
import PourCore
import PourTestSupport

/// `pour-registry bench-unpack`: extraction and text-relocation throughput of generated bottles,
/// outside the test suite (speed is measured here, never asserted in a test).
struct BenchUnpack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-unpack",
        abstract: "Time BottleExtractor and TextRelocator on a generated registry's bottles (3 runs each).")

    @Option(help: "Working directory; a tmpfs such as /dev/shm keeps the disk out of the figure.")
    var dir: String = NSTemporaryDirectory()

    @Option(help: "sample | ffmpeg-like | one-huge")
    var recipe: String = "ffmpeg-like"

    @Option(name: .customLong("size-mb"), help: "Compressed bottle size in MB for one-huge.")
    var sizeMB: Int = 100

    @Option(help: "Runs per bottle.")
    var runs: Int = 3

    func run() throws {
        let chosen: RegistryRecipe
        switch recipe {
        case "sample": chosen = .sample()
        case "ffmpeg-like": chosen = .ffmpegLike()
        case "one-huge": chosen = .oneHuge(size: sizeMB << 20)
        default: throw ValidationError("unknown recipe \(recipe); expected sample, ffmpeg-like or one-huge")
        }
        let root = URL(fileURLWithPath: dir).appendingPathComponent("pour-bench-unpack-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let manifest = try RegistryGenerator(recipe: chosen).generate(into: root.appendingPathComponent("registry"))
        let placeholders = Placeholders(layout: PrefixLayout(prefix: "/home/linuxbrew/.linuxbrew", cache: root.path))
        var totalBytes = 0.0
        var totalSeconds = 0.0
        for formula in manifest.formulae.values.sorted(by: { $0.name < $1.name }) {
            let bottle = root.appendingPathComponent("registry/blobs/sha256:\(formula.sha256)").path
            for run in 0..<runs {
                let staging = root.appendingPathComponent("staging-\(run)").path
                try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: staging) }
                let started = DispatchTime.now()
                let keg = try BottleExtractor.extract(bottleAt: bottle, name: formula.name, pkgVersion: formula.pkgVersion,
                                                      into: staging)
                let extracted = DispatchTime.now()
                _ = try TextRelocator.relocate(kegAt: keg.kegPath, placeholders: placeholders)
                let relocated = DispatchTime.now()
                let extractSeconds = Double(extracted.uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
                let relocateSeconds = Double(relocated.uptimeNanoseconds - extracted.uptimeNanoseconds) / 1e9
                totalBytes += Double(keg.totalBytes)
                totalSeconds += extractSeconds + relocateSeconds
                print(String(format: "%@ run %d: %d files, %.1f MB, extract %.3f s, relocate %.3f s",
                             formula.name, run, keg.fileCount, Double(keg.totalBytes) / 1e6, extractSeconds, relocateSeconds))
            }
        }
        print(String(format: "total: %.1f MB in %.2f s = %.0f MB/s (extract + relocate)",
                     totalBytes / 1e6, totalSeconds, totalBytes / 1e6 / max(totalSeconds, 1e-9)))
    }
}
