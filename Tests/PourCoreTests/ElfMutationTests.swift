import Foundation
import XCTest
@testable import PourCore

/// Fuzz-style robustness: hundreds of deterministic mutations of a real binary go through the
/// parser, the patch planner and the on-disk relocator. Each must either succeed or throw
/// `RelocationError`; a throw must leave the file byte-for-byte unchanged with no temp file.
final class ElfMutationTests: XCTestCase {
    /// 400 by default; `POUR_ELF_MUTATIONS` raises it for a longer local run.
    static let mutationCount = ProcessInfo.processInfo.environment["POUR_ELF_MUTATIONS"].flatMap { Int($0) } ?? 400

    /// Deterministic mutations of `original` (a 64-bit little-endian executable).
    static func mutations(of original: [UInt8], count: Int, seed: UInt64) throws -> [[UInt8]] {
        let elf = try ElfFile(parsing: ElfSource(bytes: original))
        var random = SplitMix64(state: seed)
        let size = UInt64(original.count)
        func interesting() -> UInt64 {
            let choices: [UInt64] = [0, 1, 7, 0x38, 0x1000, 0x7FFF_FFFF, 0xFFFF_FFFF, UInt64.max, UInt64.max - 7,
                                     UInt64.max / 2, size, size - 1, size + 1, size / 2]
            return random.below(3) == 0 ? random.next() % (size * 2) : choices[random.below(choices.count)]
        }
        func put(_ bytes: inout [UInt8], _ value: UInt64, at offset: Int, width: Int) {
            guard offset >= 0, offset + width <= bytes.count else { return }
            for index in 0..<width { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> UInt64(8 * index)) }
        }
        let phoff = Int(elf.programHeaderOffset)
        let shoff = Int(elf.sectionHeaderOffset)
        let phnum = elf.programHeaders.count
        let shnum = max(elf.sectionHeaders.count, 1)
        let dynamic = elf.programHeaders.first { $0.type == ElfProgramHeader.dynamic }
        let loads = elf.programHeaders.indices.filter { elf.programHeaders[$0].type == ElfProgramHeader.load }

        var result: [[UInt8]] = []
        for _ in 0..<count {
            var bytes = original
            let steps = 1 + random.below(3)
            for _ in 0..<steps {
                switch random.below(11) {
                case 0:  // truncate
                    bytes.removeLast(bytes.count - random.below(bytes.count))
                case 1:  // flip bytes in the ELF header
                    for _ in 0..<(1 + random.below(4)) {
                        let at = random.below(64)
                        if at < bytes.count { bytes[at] ^= UInt8(truncatingIfNeeded: random.next() | 1) }
                    }
                case 2:  // flip bytes in the program header table
                    for _ in 0..<(1 + random.below(6)) {
                        let at = phoff + random.below(phnum * 56)
                        if at < bytes.count { bytes[at] ^= UInt8(truncatingIfNeeded: random.next() | 1) }
                    }
                case 3: put(&bytes, interesting(), at: 32, width: 8)  // e_phoff
                case 4: put(&bytes, interesting(), at: 40, width: 8)  // e_shoff
                case 5:  // e_phnum / e_shnum / entry sizes / shstrndx
                    put(&bytes, interesting(), at: [54, 56, 58, 60, 62][random.below(5)], width: 2)
                case 6:  // one program header field: offset, vaddr, filesz, memsz or align
                    let field = [8, 16, 32, 40, 48][random.below(5)]
                    put(&bytes, interesting(), at: phoff + random.below(phnum) * 56 + field, width: 8)
                case 7:  // overlapping segments: one LOAD takes another's address or offset
                    if loads.count >= 2 {
                        let a = loads[random.below(loads.count)], b = loads[random.below(loads.count)]
                        let field = random.below(2) == 0 ? 16 : 8
                        let value = field == 16 ? elf.programHeaders[b].vaddr : elf.programHeaders[b].offset
                        put(&bytes, value &+ UInt64(random.below(64)), at: phoff + a * 56 + field, width: 8)
                    }
                case 8:  // a dynamic entry's tag or value
                    if let dynamic {
                        let entries = Int(dynamic.filesz / 16)
                        let at = Int(dynamic.offset) + random.below(max(entries, 1)) * 16 + (random.below(4) == 0 ? 0 : 8)
                        put(&bytes, random.below(2) == 0 ? interesting() : UInt64(random.below(40)), at: at, width: 8)
                    }
                case 9:  // a section header's addr, offset, size or link
                    let field = [16, 24, 32, 40][random.below(4)]
                    put(&bytes, interesting(), at: shoff + random.below(shnum) * 64 + field, width: field == 40 ? 4 : 8)
                default:  // the PT_INTERP / PT_PHDR / PT_DYNAMIC type of some entry changes
                    let types: [UInt64] = [0, 1, 2, 3, 6, 0x6474_E551]
                    put(&bytes, types[random.below(types.count)], at: phoff + random.below(phnum) * 56, width: 4)
                }
            }
            result.append(bytes)
        }
        return result
    }

    func testMutatedBinariesNeverCrashAndFailuresLeaveNoTrace() throws {
        let box = try ElfSandbox()
        let built = try box.buildHello(libRunpath: "@@HOMEBREW_PREFIX@@/lib")
        let prefix = try box.prefix(length: 60)
        let layout = PrefixLayout(prefix: prefix, cache: prefix + "/cache")
        try FileManager.default.createDirectory(atPath: prefix + "/lib", withIntermediateDirectories: true)
        try LoaderLink.ensureLoaderLink(layout: layout)
        let longPath = prefix + "/lib/ld.so"

        var outcomes: [String: Int] = [:]
        let seed0 = ProcessInfo.processInfo.environment["POUR_ELF_SEED"].flatMap { UInt64($0) } ?? 0
        for (seed, original) in [(seed0 + 1, try XCTUnwrap(ElfSandbox.bytes(built.program))),
                                 (seed0 + 2, try XCTUnwrap(ElfSandbox.bytes(built.library)))] {
            for (index, bytes) in try Self.mutations(of: original, count: Self.mutationCount / 2, seed: seed).enumerated() {
                // In memory: parse, plan, apply, parse again.
                if let elf = try? ElfFile(parsing: ElfSource(bytes: bytes)),
                   let plan = try? ElfPatcher.plan(elf, interpreter: longPath, runpath: prefix + "/lib:$ORIGIN", rpath: prefix),
                   plan.newSize < UInt64(bytes.count) + (16 << 20) {
                    let applied = plan.applied(to: bytes)
                    XCTAssertNotNil(applied)
                    _ = applied.map { try? ElfFile(parsing: ElfSource(bytes: $0)) }
                }

                // On disk, through the relocator.
                let keg = prefix + "/Cellar/fuzz\(seed)/\(index)"
                try FileManager.default.createDirectory(atPath: keg + "/bin", withIntermediateDirectories: true)
                let path = keg + "/bin/x"
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                chmod(path, 0o755)
                do {
                    let changed = try BinaryRelocator.relocate(kegAt: keg, layout: layout)
                    outcomes[changed.isEmpty ? "unchanged" : "patched", default: 0] += 1
                    if changed.isEmpty { XCTAssertEqual(ElfSandbox.bytes(path), bytes, "seed \(seed) mutation \(index)") }
                } catch {
                    outcomes[String(describing: error).contains("unsupported") ? "unsupported" : "malformed", default: 0] += 1
                    XCTAssertEqual(ElfSandbox.bytes(path), bytes, "seed \(seed) mutation \(index): file changed on failure")
                }
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: keg + "/bin"), ["x"],
                               "seed \(seed) mutation \(index): temp file left behind")
                try FileManager.default.removeItem(atPath: keg)
            }
        }
        XCTAssertEqual(outcomes.values.reduce(0, +), Self.mutationCount)
        XCTAssertGreaterThan(outcomes["malformed", default: 0], Self.mutationCount / 10, "\(outcomes)")
        print("mutation outcomes: \(outcomes.sorted { $0.key < $1.key })")
    }
}

/// The same robustness check in memory for the synthetic 32-bit and big-endian files: random
/// words anywhere in the headers and tables set to boundary values.
final class ElfMutationSyntheticTests: XCTestCase {
    func testMutatedSyntheticFilesThrowOrPatchInAllLayouts() throws {
        var random = SplitMix64(state: 42)
        var outcomes = [0, 0]
        for (is64, bigEndian) in [(true, false), (true, true), (false, false), (false, true)] {
            for withNull in [false, true] {
                let original = ElfSyntheticTests.makeElf(is64: is64, bigEndian: bigEndian, withNull: withNull)
                for _ in 0..<100 {
                    var bytes = original
                    for _ in 0..<(1 + random.below(3)) {
                        let width = is64 ? 8 : 4
                        let at = random.below(bytes.count - width)
                        let values: [UInt64] = [0, 1, 0xFF, 0xFFFF, 0xFFFF_FFFF, UInt64.max, random.next(),
                                                UInt64(random.below(bytes.count * 2))]
                        let value = values[random.below(values.count)]
                        for index in 0..<width { bytes[at + index] = UInt8(truncatingIfNeeded: value >> UInt64(8 * index)) }
                        if random.below(8) == 0 { bytes.removeLast(random.below(bytes.count)) }
                    }
                    do {
                        let elf = try ElfFile(parsing: ElfSource(bytes: bytes))
                        if let plan = try ElfPatcher.plan(elf, interpreter: "/" + String(repeating: "i", count: 70),
                                                          runpath: "/" + String(repeating: "r", count: 70), rpath: "/r"),
                           plan.newSize < UInt64(bytes.count) + (16 << 20) {
                            XCTAssertNotNil(plan.applied(to: bytes))
                        }
                        outcomes[0] += 1
                    } catch {
                        outcomes[1] += 1
                    }
                }
            }
        }
        XCTAssertEqual(outcomes.reduce(0, +), 800)
        XCTAssertGreaterThan(outcomes[1], 0)
    }
}
