import Foundation
import PourCore

/// Arbitrary (typically hostile) bottles for end-to-end tests: write any tar.gz with libarchive,
/// then publish any file as the bottle of a formula in a generated registry, so pour's real
/// download → verify → extract path meets it.
///
/// Stateless; call from any thread (each call owns its writer and files).
package enum CustomBottle {
    /// One archive member, described literally (nothing is validated: that is the point).
    package struct Entry: Sendable {
        package enum Kind: Sendable {
            case file(contents: [UInt8])
            /// A regular file of `size` bytes streamed from a repeating byte (a compression bomb
            /// when large: gzip shrinks a run of one byte about 1000 : 1).
            case zeros(size: Int)
            case directory
            case symlink(target: String)
            /// `target` is the member path of an earlier file, written as is.
            case hardlink(target: String)
            case fifo
            case characterDevice(major: UInt32, minor: UInt32)
            case blockDevice(major: UInt32, minor: UInt32)
        }

        package var path: String
        package var kind: Kind
        package var permissions: Int32

        package init(_ path: String, _ kind: Kind, permissions: Int32 = 0o644) {
            self.path = path
            self.kind = kind
            self.permissions = permissions
        }

        package static func file(_ path: String, _ text: String, permissions: Int32 = 0o644) -> Entry {
            Entry(path, .file(contents: Array(text.utf8)), permissions: permissions)
        }
    }

    /// Writes `entries` as a gzip-compressed pax tar at `path`.
    package static func writeArchive(_ entries: [Entry], to path: String) throws {
        let writer = try BottleArchiveWriter(path: path, compressionLevel: 6)
        for entry in entries {
            switch entry.kind {
            case .file(let contents):
                try writer.addRaw(entry.path, type: 0o100000, permissions: entry.permissions, size: contents.count, contents: contents)
            case .zeros(let size):
                try writer.addStreamedFile(entry.path, size: size, permissions: entry.permissions) { buffer in
                    buffer.update(repeating: 0)
                }
            case .directory:
                try writer.addRaw(entry.path, type: 0o040000, permissions: entry.permissions == 0o644 ? 0o755 : entry.permissions, size: 0)
            case .symlink(let target):
                try writer.addRaw(entry.path, type: 0o120000, permissions: 0o777, size: 0, symlink: target)
            case .hardlink(let target):
                try writer.addRaw(entry.path, type: 0o100000, permissions: entry.permissions, size: 0, hardlink: target)
            case .fifo:
                try writer.addRaw(entry.path, type: 0o010000, permissions: entry.permissions, size: 0)
            case .characterDevice(let major, let minor):
                try writer.addRaw(entry.path, type: 0o020000, permissions: entry.permissions, size: 0, device: (major, minor))
            case .blockDevice(let major, let minor):
                try writer.addRaw(entry.path, type: 0o060000, permissions: entry.permissions, size: 0, device: (major, minor))
            }
        }
        try writer.finish()
    }

    /// Replaces the bottle of formula `name` in a registry written by `RegistryGenerator` with the
    /// file at `bottlePath`: the file becomes blob `sha256:<digest>` and the formula's JSON (and
    /// `formula.json`) name the new digest in `sha256` and `url`. The OCI image index is left
    /// alone: its `sh.brew.bottle.digest` no longer matches, so clients ignore its tab (whose
    /// `changed_files` describe the old bottle). Returns the new digest.
    @discardableResult
    package static func publish(bottleAt bottlePath: String, as name: String, in registry: URL,
                               manifest: RegistryManifest) throws -> String {
        guard let entry = manifest.formulae[name] else { throw RegistryError.invalidSpec("no formula \(name) in the registry") }
        let newSHA = try FileDigest.sha256(ofFile: bottlePath)
        let blob = registry.appendingPathComponent("blobs/sha256:\(newSHA)").path
        if !FileManager.default.fileExists(atPath: blob) {
            do { try FileManager.default.copyItem(atPath: bottlePath, toPath: blob) } catch {
                throw RegistryError.io(path: blob, message: "\(error)")
            }
        }
        try editFormulaJSON(in: registry, name: name) { text in
            text.replacingOccurrences(of: entry.sha256, with: newSHA)
        }
        return newSHA
    }

    /// Applies `edit` to the text of formula `name`'s JSON (`api/formula/<name>.json`) and to
    /// `api/formula.json`, for hostile-metadata tests (any string edit; the result is not checked).
    package static func editFormulaJSON(in registry: URL, name: String, _ edit: (String) -> String) throws {
        for relative in ["api/formula/\(name).json", "api/formula.json"] {
            let url = registry.appendingPathComponent(relative)
            guard let data = FileManager.default.contents(atPath: url.path) else { continue }
            let edited = edit(String(decoding: data, as: UTF8.self))
            do { try Data(edited.utf8).write(to: url) } catch { throw RegistryError.io(path: url.path, message: "\(error)") }
        }
    }
}
