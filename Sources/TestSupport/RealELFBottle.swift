import Foundation
import PourCore

/// Linux bottles made from **real system binaries and libraries** the way brew bottles them:
/// copies of `/usr/bin/zstd` (with a real `liblz4` moved into the keg's `lib` under a private
/// soname, so the program only starts when its RUNPATH finds the keg) and `/usr/bin/xxd`, patched
/// with `patchelf` to carry exactly what brew writes when bottling
/// (`extend/os/linux/keg_relocate.rb#change_rpath!` with placeholders): interpreter
/// `@@HOMEBREW_PREFIX@@/lib/ld.so` and RUNPATHs made of `@@HOMEBREW_CELLAR@@/<name>/<version>/lib`,
/// `@@HOMEBREW_PREFIX@@/lib` and a versioned `@@HOMEBREW_PREFIX@@/lib/gcc/<N>`.
///
/// The keg's other members follow brew's own bottle fixture
/// (`Library/Homebrew/test/support/fixtures/bottles/testball_bottle-0.1.*.bottle.tar.gz`): a
/// `.brew/<name>.rb`, an optional `INSTALL_RECEIPT.json` (the bottle's tab, with a
/// placeholder in `source.path`), a symlink and a hardlink beside the program, plus a text file
/// with placeholders and an optional top-level `.bottle/etc` file (wget's `wgetrc` shape).
///
/// Stateless; each call owns its work directory.
package enum RealELFBottle {
    /// How the ELF files are prepared.
    package enum Linkage: Sendable {
        /// Placeholders in interpreter and RUNPATH: runs only once relocated (`:any`, pinned, and
        /// `:any_skip_relocation` from brew < 5.1.15).
        case placeholders
        /// What a correct `:any_skip_relocation` bottle holds: the system interpreter and a
        /// `$ORIGIN`-relative RUNPATH, so it runs wherever it lands.
        case relocatable
    }

    /// What the tests need to know about a built bottle.
    package struct Output: Sendable {
        package var bottlePath: String
        /// Keg-relative text files holding placeholders (what a brew tab lists in `changed_files`).
        package var changedFiles: [String]
        /// Keg-relative path → SHA-256 of each ELF file as packed (to tell relocated from untouched).
        package var elfDigests: [String: String]
    }

    /// The first required tool that is missing (`patchelf`, `readelf`), or nil.
    package static func missingTool() -> String? {
        for tool in ["/usr/bin/patchelf", "/usr/bin/readelf", "/usr/bin/zstd", "/usr/bin/xxd"]
            where !FileManager.default.isExecutableFile(atPath: tool) { return tool }
        return systemLibrary("liblz4.so.1") == nil ? "liblz4.so.1" : nil
    }

    /// The bottle's tab as brew writes it (fields and shapes of brew's `receipt.json` fixture and
    /// of the `sh.brew.tab` annotation), for `homebrewVersion`; `changedFiles` nil omits the key.
    package static func tab(homebrewVersion: String, changedFiles: [String]?, name: String) -> [String: Any] {
        var tab: [String: Any] = [
            "homebrew_version": homebrewVersion,
            "used_options": [String](), "unused_options": [String](),
            "built_as_bottle": true, "poured_from_bottle": false,
            "loaded_from_api": false, "loaded_from_internal_api": false,
            "installed_as_dependency": false, "installed_on_request": false,
            "time": NSNull(), "source_modified_time": 1_700_000_000,
            "compiler": "gcc-12", "stdlib": "libstdcxx", "aliases": [String](),
            "runtime_dependencies": [[String: Any]](), "arch": "x86_64",
            "built_on": ["os": "Linux", "os_version": "Ubuntu 22.04", "cpu_family": "x86_64", "glibc_version": "2.35"],
            "source": ["path": "@@HOMEBREW_PREFIX@@/Library/Taps/homebrew/homebrew-core/Formula/\(name).rb",
                       "tap": "homebrew/core", "spec": "stable",
                       "versions": ["stable": "1.0", "head": NSNull(), "version_scheme": 0]],
        ]
        if let changedFiles { tab["changed_files"] = changedFiles }
        return tab
    }

    /// Builds the bottle of `name` `version` at `bottlePath` (gzip tar, members `<name>/<version>/…`).
    /// `receiptTab`: written as the keg's `INSTALL_RECEIPT.json` when given.
    package static func build(name: String, version: String, linkage: Linkage, receiptTab: [String: Any]?,
                             etcFiles: [String: String] = [:], workDirectory: String,
                             to bottlePath: String) throws -> Output {
        let work = workDirectory + "/real-elf-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        // The real file, not the soname symlink (a copied symlink would dangle).
        guard let lz4 = systemLibrary("liblz4.so.1").map({ URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }) else { throw RegistryError.invalidSpec("liblz4.so.1 not found") }

        let privateLibrary = "libpourlz4.so.1"
        let zstd = work + "/zstd", xxd = work + "/xxd", library = work + "/" + privateLibrary
        for (from, to) in [("/usr/bin/zstd", zstd), ("/usr/bin/xxd", xxd), (lz4, library)] {
            try FileManager.default.copyItem(atPath: from, toPath: to)
            chmod(to, 0o755)
        }
        // The program needs the library under a name only the keg has: it starts only when its
        // RUNPATH leads into the keg.
        try patchelf(["--replace-needed", "liblz4.so.1", privateLibrary, zstd])
        try patchelf(["--set-soname", privateLibrary, library])
        // patchelf reads an argument starting with `@` from the file it names, so every
        // placeholder value goes through a file (`@<path>`).
        var valueFiles = 0
        func literal(_ value: String) throws -> String {
            valueFiles += 1
            let path = work + "/value-\(valueFiles)"
            try Data(value.utf8).write(to: URL(fileURLWithPath: path))
            return "@" + path
        }
        switch linkage {
        case .placeholders:
            let interpreter = try literal("@@HOMEBREW_PREFIX@@/lib/ld.so")
            try patchelf(["--set-interpreter", interpreter, "--set-rpath",
                          try literal("@@HOMEBREW_CELLAR@@/\(name)/\(version)/lib:@@HOMEBREW_PREFIX@@/lib"), zstd])
            try patchelf(["--set-interpreter", interpreter, "--set-rpath",
                          try literal("@@HOMEBREW_PREFIX@@/lib/gcc/12:@@HOMEBREW_PREFIX@@/lib"), xxd])
            try patchelf(["--set-rpath", try literal("@@HOMEBREW_PREFIX@@/lib"), library])
        case .relocatable:
            try patchelf(["--set-rpath", "$ORIGIN/../lib", zstd])
        }

        let root = "\(name)/\(version)"
        func bytes(_ path: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw RegistryError.io(path: path, message: "unreadable")
            }
            return [UInt8](data)
        }
        var entries: [CustomBottle.Entry] = [
            .init(root, .directory), .init("\(root)/.brew", .directory), .init("\(root)/bin", .directory),
            .init("\(root)/lib", .directory), .init("\(root)/share", .directory),
            .init("\(root)/share/\(name)", .directory),
            .file("\(root)/.brew/\(name).rb", """
            class \(name.prefix(1).uppercased() + name.dropFirst().filter { $0.isLetter || $0.isNumber }) < Formula
              desc "Real ELF programs re-bottled for tests"
              url "https://example.invalid/\(name)-\(version).tar.gz"
              depends_on "lz4"
            end

            """),
            .init("\(root)/bin/zstd", .file(contents: try bytes(zstd)), permissions: 0o555),
            .init("\(root)/bin/unzstd", .symlink(target: "zstd")),
            .init("\(root)/bin/xxd", .file(contents: try bytes(xxd)), permissions: 0o555),
            .init("\(root)/bin/xxd-hardlink", .hardlink(target: "\(root)/bin/xxd"), permissions: 0o555),
            .init("\(root)/lib/\(privateLibrary)", .file(contents: try bytes(library)), permissions: 0o444),
            .init("\(root)/lib/liblz4-pour.so", .symlink(target: privateLibrary)),
            .file("\(root)/share/\(name)/paths.txt",
                  "prefix=@@HOMEBREW_PREFIX@@\ncellar=@@HOMEBREW_CELLAR@@\nkeg=@@HOMEBREW_CELLAR@@/\(name)/\(version)\n"),
        ]
        var changedFiles = ["share/\(name)/paths.txt"]
        if let receiptTab {
            let data = try JSONSerialization.data(withJSONObject: receiptTab, options: [.sortedKeys, .withoutEscapingSlashes])
            entries.append(.init("\(root)/INSTALL_RECEIPT.json", .file(contents: [UInt8](data))))
            changedFiles.append("INSTALL_RECEIPT.json")
        }
        if !etcFiles.isEmpty {
            entries.append(.init("\(root)/.bottle", .directory))
            entries.append(.init("\(root)/.bottle/etc", .directory))
            for (relative, text) in etcFiles.sorted(by: { $0.key < $1.key }) {
                var directory = (relative as NSString).deletingLastPathComponent
                var parents: [String] = []
                while !directory.isEmpty { parents.insert(directory, at: 0); directory = (directory as NSString).deletingLastPathComponent }
                for parent in parents where !entries.contains(where: { $0.path == "\(root)/.bottle/etc/\(parent)" }) {
                    entries.append(.init("\(root)/.bottle/etc/\(parent)", .directory))
                }
                entries.append(.file("\(root)/.bottle/etc/\(relative)", text))
            }
        }
        try CustomBottle.writeArchive(entries, to: bottlePath)
        var digests: [String: String] = [:]
        for (relative, path) in [("bin/zstd", zstd), ("bin/xxd", xxd), ("lib/\(privateLibrary)", library)] {
            digests[relative] = try FileDigest.sha256(ofFile: path)
        }
        return Output(bottlePath: bottlePath, changedFiles: changedFiles.sorted(), elfDigests: digests)
    }

    /// Hex SHA-256 of a file (to compare installed ELF files with `Output.elfDigests`).
    package static func sha256(ofFile path: String) throws -> String { try FileDigest.sha256(ofFile: path) }

    /// Where the system keeps `soname` (Debian multiarch directories first).
    static func systemLibrary(_ soname: String) -> String? {
        ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
         "/lib64", "/usr/lib64", "/usr/lib"].map { $0 + "/" + soname }
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    static func patchelf(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/patchelf")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardError = pipe
        try process.run()
        let message = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw RegistryError.io(path: arguments.last ?? "", message: "patchelf failed: " + String(decoding: message, as: UTF8.self))
        }
    }
}
