import Foundation
import XCTest
@testable import PourCore

/// Opt-in throughput measurement: set POUR_UNPACK_BENCH_DIR (ideally a tmpfs such as /dev/shm) to
/// run it. Builds a ~100 MB mixed tar.gz/tar.zst, extracts it and scans it for placeholders.
final class UnpackThroughputTests: XCTestCase {
    /// POUR_UNPACK_BENCH_BOTTLES: colon-separated existing `big/1.0/…` bottles to time instead.
    func testExistingBottleThroughput() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let dir = environment["POUR_UNPACK_BENCH_DIR"], let list = environment["POUR_UNPACK_BENCH_BOTTLES"] else {
            throw XCTSkip("set POUR_UNPACK_BENCH_DIR and POUR_UNPACK_BENCH_BOTTLES to time existing bottles")
        }
        for bottle in list.split(separator: ":").map(String.init) {
            for run in 0..<3 {
                let staging = dir + "/pour-unpack-bench-" + UUID().uuidString
                try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: staging) }
                let started = Date()
                let keg = try BottleExtractor.extract(bottleAt: bottle, name: "big", pkgVersion: "1.0", into: staging)
                let seconds = Date().timeIntervalSince(started)
                let megabytes = Double(keg.totalBytes) / 1e6
                print("extract \(bottle) run \(run): \(keg.fileCount) files, \(Int(megabytes)) MB in \(String(format: "%.2f", seconds)) s = \(Int(megabytes / seconds)) MB/s")
                let relocStart = Date()
                let changed = try TextRelocator.relocate(
                    kegAt: keg.kegPath,
                    placeholders: Placeholders(layout: PrefixLayout(prefix: "/home/linuxbrew/.linuxbrew", cache: "/c")))
                print("relocate scan: \(changed.count) changed in \(String(format: "%.2f", Date().timeIntervalSince(relocStart))) s")
            }
        }
    }

    func testExtractionThroughput() throws {
        guard let dir = ProcessInfo.processInfo.environment["POUR_UNPACK_BENCH_DIR"] else {
            throw XCTSkip("set POUR_UNPACK_BENCH_DIR to measure extraction throughput")
        }
        let root = dir + "/pour-unpack-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/staging", withIntermediateDirectories: true)
        defer { if ProcessInfo.processInfo.environment["POUR_UNPACK_BENCH_KEEP"] == nil { try? FileManager.default.removeItem(atPath: root) } }

        // Mixed content: text-like files (compressible) and pseudo-random blobs, 4 KB to 4 MB.
        var entries: [TestArchive.Entry] = [.dir("big/1.0/")]
        var state: UInt64 = 0x9E3779B97F4A7C15
        func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        var total = 0
        var index = 0
        while total < 100 << 20 {
            let size = index % 50 == 0 ? 4 << 20 : Int(next() % 96_000) + 4096
            let bytes: [UInt8]
            if index % 3 == 0 {
                bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: next()) }
            } else {
                let line = Array("libdir=@@HOMEBREW_PREFIX@@/lib value \(index) lorem ipsum dolor sit amet\n".utf8)
                bytes = (0..<size).map { line[$0 % line.count] }
            }
            entries.append(TestArchive.Entry("big/1.0/d\(index % 40)/f\(index)", .file(bytes)))
            total += size
            index += 1
        }
        for (compression, suffix) in [(TestArchive.Compression.gzip, "gz"), (.zstd, "zst")] {
            let bottle = root + "/big.tar." + suffix
            try TestArchive.build(bottle, compression: compression, entries: entries)
            let staging = root + "/staging-" + suffix
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
            let started = Date()
            let keg = try BottleExtractor.extract(bottleAt: bottle, name: "big", pkgVersion: "1.0", into: staging)
            let seconds = Date().timeIntervalSince(started)
            let megabytes = Double(keg.totalBytes) / 1e6
            print("extract \(suffix): \(keg.fileCount) files, \(Int(megabytes)) MB in \(String(format: "%.2f", seconds)) s = \(Int(megabytes / seconds)) MB/s")
            let relocStart = Date()
            let changed = try TextRelocator.relocate(
                kegAt: keg.kegPath,
                placeholders: Placeholders(layout: PrefixLayout(prefix: "/home/linuxbrew/.linuxbrew", cache: "/c")))
            let relocSeconds = Date().timeIntervalSince(relocStart)
            print("relocate \(suffix): \(changed.count) files changed, scan+rewrite in \(String(format: "%.2f", relocSeconds)) s")
        }
    }
}
