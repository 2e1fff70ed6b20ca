import Foundation
import XCTest
@testable import PourCore

/// Builds real ELF binaries with the system C compiler for the relocation tests, and lays out
/// prefixes of exact byte lengths. Each instance owns its directories and removes them.
final class ElfSandbox {
    let root: String
    private var extraDirectories: [String] = []

    init() throws {
        root = "/tmp/pour-elf-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit {
        for directory in extraDirectories + [root] { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// A new directory whose absolute path is exactly `length` bytes long (13 ≤ length ≤ 4000).
    func prefix(length: Int) throws -> String {
        let random = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(6).lowercased()
        let headLength = min(length, 40)
        let head = "/tmp/pe" + random + String(repeating: "z", count: max(0, headLength - 13))
        extraDirectories.append(head)
        var path = head
        var remaining = length - path.utf8.count
        while remaining > 0 {
            // Each component costs its length plus the slash; never leave a remainder of 1.
            let component = remaining - 1 <= 40 ? remaining - 1 : min(40, remaining - 3)
            path += "/" + String(repeating: "x", count: component)
            remaining -= component + 1
        }
        guard path.utf8.count == length else {
            throw XCTSkip("cannot build a prefix of \(length) bytes (got \(path.utf8.count))")
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    struct Output { let status: Int32; let stdout: String; let stderr: String }

    /// Runs `executable` with `arguments`; nil when it cannot be started.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) -> Output? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { return nil }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func which(_ tool: String) -> String? {
        ["/usr/bin/", "/bin/", "/usr/local/bin/"].map { $0 + tool }.first { access($0, X_OK) == 0 }
    }

    /// Compiles with `cc`; skips the test when there is no compiler.
    func cc(_ arguments: [String]) throws {
        guard let cc = Self.which("cc") ?? Self.which("gcc") ?? Self.which("clang") else {
            throw XCTSkip("no C compiler (cc) installed: real-binary relocation tests need one")
        }
        guard let result = Self.run(cc, arguments), result.status == 0 else {
            throw XCTSkip("cc failed for \(arguments.joined(separator: " ")); cannot build the fixture")
        }
    }

    /// Writes the library and program sources into the sandbox.
    func writeSources(bigBss: Bool = false) throws {
        try "#include <stdio.h>\nvoid hello(void) { puts(\"hello from libhello\"); }\n"
            .write(toFile: root + "/hello.c", atomically: true, encoding: .utf8)
        let main = bigBss
            ? "void hello(void);\nstatic char big[8 << 20];\nint main(void) { big[sizeof big - 1] = 1; hello(); return big[0]; }\n"
            : "void hello(void);\nint main(void) { hello(); return 0; }\n"
        try main
            .write(toFile: root + "/main.c", atomically: true, encoding: .utf8)
    }

    /// Builds `libhello.so` (with `libRunpath` if given) and a program linked to it with `runpath`
    /// and the placeholder interpreter. Returns (program, library) paths in the sandbox.
    func buildHello(runpath: String = "@@HOMEBREW_PREFIX@@/lib", newDtags: Bool = true, libRunpath: String? = nil,
                    pie: Bool = true, name: String = "hello", bigBss: Bool = false,
                    extraFlags: [String] = []) throws -> (program: String, library: String) {
        try writeSources(bigBss: bigBss)
        let library = root + "/libhello.so"
        var libArgs = ["-shared", "-fPIC", "-o", library, root + "/hello.c", "-Wl,-soname,libhello.so"]
        if let libRunpath { libArgs += ["-Wl,-rpath," + libRunpath, "-Wl,--enable-new-dtags"] }
        try cc(libArgs)
        let program = root + "/" + name
        var args = ["-o", program, root + "/main.c", "-L" + root, "-lhello", "-Wl,-rpath," + runpath,
                    newDtags ? "-Wl,--enable-new-dtags" : "-Wl,--disable-new-dtags",
                    "-Wl,--dynamic-linker=@@HOMEBREW_PREFIX@@/lib/ld.so"]
        if !pie { args += ["-no-pie", "-fno-pie"] }
        try cc(args + extraFlags)
        return (program, library)
    }

    /// `<prefix>/Cellar/hello/1.0/{bin,lib}` with the program and library, `<prefix>/lib/libhello.so`
    /// linked into the keg, and `<prefix>/lib/ld.so` made by `ensureLoaderLink`. Returns the keg.
    static func makeKeg(prefix: String, program: String, library: String, programName: String = "hello") throws -> String {
        let keg = prefix + "/Cellar/hello/1.0"
        let fm = FileManager.default
        try fm.createDirectory(atPath: keg + "/bin", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: keg + "/lib", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: prefix + "/lib", withIntermediateDirectories: true)
        try fm.copyItem(atPath: program, toPath: keg + "/bin/" + programName)
        try fm.copyItem(atPath: library, toPath: keg + "/lib/libhello.so")
        try fm.createSymbolicLink(atPath: prefix + "/lib/libhello.so", withDestinationPath: "../Cellar/hello/1.0/lib/libhello.so")
        try LoaderLink.ensureLoaderLink(layout: PrefixLayout(prefix: prefix, cache: prefix + "/cache"))
        return keg
    }

    /// The environment for running relocated programs: no loader overrides inherited.
    static var cleanEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LD_") }
    }

    /// `readelf -d -l` output, or nil when binutils is missing.
    static func readelf(_ path: String) -> Output? {
        guard let readelf = which("readelf") else { return nil }
        return run(readelf, ["-W", "-d", "-l", path], environment: ["LC_ALL": "C"])
    }

    static func bytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }
}

/// Small deterministic PRNG (SplitMix64) for the mutation tests: same seed, same mutations.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }
}

final class ElfTestSupportTests: XCTestCase {
    func testPrefixesHaveExactLengths() throws {
        let box = try ElfSandbox()
        for length in [13, 19, 26, 60] {
            let path = try box.prefix(length: length)
            XCTAssertEqual(path.utf8.count, length)
            var info = stat()
            XCTAssertEqual(stat(path, &info), 0)
        }
    }
}
