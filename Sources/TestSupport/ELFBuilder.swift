import Foundation

/// Compiles, with the system `cc`, the tiny shared library and program that ELF bottles carry,
/// so relocation and "does the installed program still run" can be tested on real binaries.
///
/// Each (variant, formula) pair is compiled once into a private temporary directory and the
/// bytes reused. Confinement: used from one thread (the generator compiles everything before it
/// fans out); not Sendable.
final class ELFBuilder {
    /// The two files a bottle with ELF contents holds.
    struct Output {
        /// `lib/lib<name>.so` bytes.
        var library: [UInt8]
        /// `bin/<name>-hello` bytes.
        var program: [UInt8]
    }

    private let workDirectory: URL
    private var cache: [String: Output] = [:]
    private let compiler: String

    init() throws {
        guard let compiler = ELFBuilder.findCompiler() else {
            throw RegistryError.compiler("no `cc` found in PATH; install a C compiler (e.g. apt-get install gcc) to generate ELF bottles")
        }
        self.compiler = compiler
        workDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("pour-registry-elf-\(getpid())-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        } catch {
            throw RegistryError.io(path: workDirectory.path, message: "\(error)")
        }
    }

    deinit { try? FileManager.default.removeItem(at: workDirectory) }

    func build(name: String, version: String, variant: FormulaSpec.ELFVariant) throws -> Output {
        let key = "\(variant.rawValue)/\(name)"
        if let cached = cache[key] { return cached }
        // Directory names must not carry `@`/`+` quirks into compiler arguments.
        let directory = workDirectory.appendingPathComponent("\(variant.rawValue)-\(cache.count)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let libraryName = "lib\(name).so"
        let cLiteral = "\(name) \(version)".replacingOccurrences(of: "\\", with: "").replacingOccurrences(of: "\"", with: "")
        let librarySource = """
        /* Shared library shipped in a generated bottle. */
        const char *pour_hello_message(void) { return "library \(cLiteral)"; }

        """
        // The program names its formula from argv[0] (`<name>-hello`) and prints the library's
        // string, proving that the dynamic loader found the library through RUNPATH.
        let programSource = """
        #include <stdio.h>
        #include <string.h>
        const char *pour_hello_message(void);
        int main(int argc, char **argv) {
            const char *self = argc > 0 ? argv[0] : "unknown";
            const char *slash = strrchr(self, '/');
            char name[256];
            snprintf(name, sizeof name, "%s", slash ? slash + 1 : self);
            char *suffix = strstr(name, "-hello");
            if (suffix) *suffix = 0;
            printf("hello from %s: %s\\n", name, pour_hello_message());
            return 0;
        }

        """
        let libSourcePath = directory.appendingPathComponent("lib.c").path
        let programSourcePath = directory.appendingPathComponent("main.c").path
        let libPath = directory.appendingPathComponent(libraryName).path
        let programPath = directory.appendingPathComponent("hello").path
        do {
            try librarySource.write(toFile: libSourcePath, atomically: true, encoding: .utf8)
            try programSource.write(toFile: programSourcePath, atomically: true, encoding: .utf8)
        } catch {
            throw RegistryError.io(path: directory.path, message: "\(error)")
        }
        try run([compiler, "-shared", "-fPIC", "-O1", "-o", libPath, libSourcePath,
                 "-Wl,-soname,\(libraryName)", "-Wl,--build-id=none"])
        var linkFlags = ["-Wl,--enable-new-dtags", "-Wl,--build-id=none"]
        switch variant {
        case .relocatable:
            linkFlags.append("-Wl,-rpath,$ORIGIN/../lib")
        case .placeholder:
            linkFlags.append("-Wl,-rpath,@@HOMEBREW_PREFIX@@/lib")
            linkFlags.append("-Wl,--dynamic-linker=@@HOMEBREW_PREFIX@@/lib/ld.so")
        }
        try run([compiler, "-O1", "-o", programPath, programSourcePath, libPath] + linkFlags)
        guard let library = FileManager.default.contents(atPath: libPath),
              let program = FileManager.default.contents(atPath: programPath)
        else { throw RegistryError.compiler("compiled files missing in \(directory.path)") }
        let output = Output(library: Array(library), program: Array(program))
        cache[key] = output
        return output
    }

    private func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw RegistryError.compiler("cannot start \(arguments[0]): \(error)")
        }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw RegistryError.compiler("`\(arguments.joined(separator: " "))` failed: \(String(decoding: message, as: UTF8.self))")
        }
    }

    private static func findCompiler() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/cc"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
