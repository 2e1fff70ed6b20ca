import Foundation
import PourCore

/// Builds a registry directory from a recipe: API JSON, bottle blobs, flat bottle names, OCI
/// image indexes and `manifest.json`. Output depends only on the recipe and the seed.
///
/// Layout written under `output`:
/// - `api/formula.json`, `api/formula/<name>.json`
/// - `blobs/sha256:<sha>` (the bottles)
/// - `bottles/<name>-<pkg_version>.<tag>.bottle.tar.gz` (hardlinks to the blobs)
/// - `manifests/<image>/<pkg_version>` (OCI image index with `sh.brew.tab`)
/// - `manifest.json` (see `RegistryManifest`)
///
/// Immutable configuration; `generate()` may be called from any thread.
package struct RegistryGenerator: Sendable {
    package var recipe: RegistryRecipe
    package var seed: UInt64
    /// gzip level for the bottles (6 is what `brew bottle` effectively produces).
    package var compressionLevel: Int
    /// Bottles built at once; generation is CPU-bound (gzip + PRNG).
    package var parallelism: Int

    package init(recipe: RegistryRecipe, seed: UInt64 = 1, compressionLevel: Int = 6,
                parallelism: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)) {
        self.recipe = recipe
        self.seed = seed
        self.compressionLevel = compressionLevel
        self.parallelism = parallelism
    }

    /// Writes the registry into `output` (created if needed; existing files are overwritten).
    @discardableResult
    package func generate(into output: URL) throws -> RegistryManifest {
        let specs = recipe.specs
        try validate(specs)
        let fileManager = FileManager.default
        let blobs = output.appendingPathComponent("blobs")
        let bottles = output.appendingPathComponent("bottles")
        let api = output.appendingPathComponent("api")
        let apiFormula = api.appendingPathComponent("formula")
        let manifests = output.appendingPathComponent("manifests")
        for directory in [blobs, bottles, api, apiFormula, manifests] {
            do { try fileManager.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
                throw RegistryError.io(path: directory.path, message: "\(error)")
            }
        }

        // Compile every ELF pair first, on this thread: the builder is not thread-safe and cc
        // runs are cheap next to the bottles.
        var elfOutputs: [String: ELFBuilder.Output] = [:]
        if specs.contains(where: { $0.elf != nil }) {
            let builder = try ELFBuilder()
            for spec in specs {
                guard let variant = spec.elf else { continue }
                elfOutputs[spec.name] = try builder.build(name: spec.name, version: spec.pkgVersion, variant: variant)
            }
        }

        // Build bottles in parallel, largest first so the long ones do not end up last.
        let order = specs.indices.sorted { specs[$0].targetCompressedSize > specs[$1].targetCompressedSize }
        let results = Locked([String: (sha: String, size: Int, bottle: BottleBuilder.Result)]())
        let firstError = Locked<Error?>(nil)
        let next = Locked(0)
        let seed = self.seed
        let level = compressionLevel
        let workers = max(1, min(parallelism, specs.count))
        let elf = elfOutputs
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let slot = next.withLock { value -> Int in
                    defer { value += 1 }
                    return value
                }
                if slot >= order.count || firstError.current != nil { return }
                let spec = specs[order[slot]]
                do {
                    let temporary = blobs.appendingPathComponent(".incomplete-\(spec.name)").path
                    let built = try BottleBuilder.write(spec: spec, elf: elf[spec.name], seed: seed,
                                                        to: temporary, compressionLevel: level)
                    let sha = try FileDigest.sha256(ofFile: temporary)
                    let final = blobs.appendingPathComponent("sha256:\(sha)").path
                    let size = try Self.fileSize(temporary)
                    if rename(temporary, final) != 0 {
                        throw RegistryError.io(path: final, message: errnoText())
                    }
                    results.withLock { $0[spec.name] = (sha, size, built) }
                } catch {
                    firstError.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        if let error = firstError.current { throw error }
        let built = results.current

        var all: [[String: Any]] = []
        var entries: [String: RegistryManifest.Entry] = [:]
        for spec in specs {
            guard let result = built[spec.name] else { throw RegistryError.invalidSpec("bottle for \(spec.name) missing") }
            let object = FormulaJSON.object(for: spec, sha256: result.sha)
            all.append(object)
            try writeJSON(object, to: apiFormula.appendingPathComponent("\(spec.name).json"))
            let blob = blobs.appendingPathComponent("sha256:\(result.sha)").path
            for tag in spec.tags {
                let flat = bottles.appendingPathComponent("\(spec.name)-\(spec.pkgVersion).\(tag).bottle.tar.gz").path
                unlink(flat)
                if link(blob, flat) != 0 {
                    do { try fileManager.copyItem(atPath: blob, toPath: flat) } catch {
                        throw RegistryError.io(path: flat, message: "\(error)")
                    }
                }
            }
            let index = FormulaJSON.imageIndex(for: spec, sha256: result.sha, size: result.size,
                                               installedSize: result.bottle.installedSize,
                                               changedFiles: result.bottle.changedFiles)
            let imageDirectory = manifests.appendingPathComponent(spec.image)
            do { try fileManager.createDirectory(at: imageDirectory, withIntermediateDirectories: true) } catch {
                throw RegistryError.io(path: imageDirectory.path, message: "\(error)")
            }
            try writeJSON(index, to: imageDirectory.appendingPathComponent(spec.pkgVersion))
            entries[spec.name] = RegistryManifest.Entry(
                name: spec.name, pkgVersion: spec.pkgVersion, sha256: result.sha, size: result.size,
                installedSize: result.bottle.installedSize, cellar: spec.cellar.jsonValue, image: spec.image,
                files: result.bottle.files, changedFiles: result.bottle.changedFiles,
                dependencies: spec.dependencies + spec.usesFromMacos.filter { $0.tag == nil }.map(\.name))
        }
        try writeJSON(all, to: api.appendingPathComponent("formula.json"))
        let manifest = RegistryManifest(seed: seed, recipe: recipe.name, formulae: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let manifestPath = output.appendingPathComponent("manifest.json").path
        do {
            try Self.writeFile(try encoder.encode(manifest), to: manifestPath)
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError.io(path: manifestPath, message: "\(error)")
        }
        return manifest
    }

    private func validate(_ specs: [FormulaSpec]) throws {
        var names = Set<String>()
        for spec in specs {
            guard !spec.name.isEmpty, !spec.name.contains("/"), !spec.name.hasPrefix(".") else {
                throw RegistryError.invalidSpec("bad formula name \"\(spec.name)\"")
            }
            guard names.insert(spec.name).inserted else { throw RegistryError.invalidSpec("duplicate formula \(spec.name)") }
        }
        // Dependencies may point outside the registry on purpose (tests of a missing formula),
        // so they are not checked here.
    }

    private func writeJSON(_ object: Any, to url: URL) throws {
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw RegistryError.io(path: url.path, message: "\(error)")
        }
        try Self.writeFile(data, to: url.path)
    }

    /// Plain write without fsync: Foundation's `Data.write` syncs every file, which costs
    /// seconds for a thousand formulae, and a test registry needs no durability.
    static func writeFile(_ data: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw RegistryError.io(path: path, message: errnoText()) }
        defer { close(descriptor) }
        try data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, base + offset, raw.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { throw RegistryError.io(path: path, message: errnoText()) }
                offset += written
            }
        }
    }

    static func fileSize(_ path: String) throws -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw RegistryError.io(path: path, message: errnoText()) }
        return Int(info.st_size)
    }
}
