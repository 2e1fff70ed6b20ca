import Foundation

/// The OCI documents ghcr.io holds for one formula, built from a generated registry the way
/// `brew pr-upload` builds them (Library/Homebrew/github_packages.rb, `upload_bottle`): per bottle
/// tag an image config (platform + `rootfs.diff_ids` of the uncompressed tar) and an image
/// manifest (that config, the bottle as one `tar+gzip` layer, the formula and `sh.brew.*`
/// annotations); one image index whose descriptors carry `sh.brew.bottle.digest`, `sh.brew.tab`,
/// `sh.brew.bottle.size`, `sh.brew.bottle.installed_size` and
/// `org.opencontainers.image.ref.name`, tagged `<pkg_version>[-<rebuild>]`.
///
/// Immutable value; safe to share across queues.
struct BottleImage: Sendable {
    /// One content-addressed JSON document and its media type.
    struct Document: Sendable {
        var mediaType: String
        var bytes: Data
        var digest: String { "sha256:" + FileDigest.sha256(of: Array(bytes)) }
    }

    struct PerTag: Sendable {
        var config: Document
        var manifest: Document
    }

    static let indexType = "application/vnd.oci.image.index.v1+json"
    static let manifestType = "application/vnd.oci.image.manifest.v1+json"
    static let configType = "application/vnd.oci.image.config.v1+json"
    static let layerType = "application/vnd.oci.image.layer.v1.tar+gzip"

    var formula: String
    /// ghcr image name (`@`→`/`, `+`→`x`).
    var image: String
    /// `<pkg_version>` or `<pkg_version>-<rebuild>`: the index's tag.
    var tag: String
    /// The bottle file (`blobs/sha256:<sha>` of the generated registry) and its digest.
    var bottlePath: String
    var bottleSHA256: String
    var images: [PerTag]
    var index: Document

    /// Builds the documents of `entry` from the registry directory `root`.
    init(entry: RegistryManifest.Entry, root: URL) throws(MirrorError) {
        formula = entry.name
        image = entry.image
        bottleSHA256 = entry.sha256
        bottlePath = root.appendingPathComponent("blobs/sha256:\(entry.sha256)").path
        let formulaJSON = try BottleImage.object(at: root.appendingPathComponent("api/formula/\(entry.name).json").path)
        let stable = (formulaJSON["bottle"] as? [String: Any])?["stable"] as? [String: Any]
        let rebuild = stable?["rebuild"] as? Int ?? 0
        tag = entry.pkgVersion + (rebuild > 0 ? "-\(rebuild)" : "")
        // The generated index already carries brew's annotations; its child digests are
        // placeholders, replaced here by real image manifests.
        let generatedPath = root.appendingPathComponent("manifests/\(entry.image)/\(entry.pkgVersion)").path
        let generated = try BottleImage.object(at: generatedPath)
        guard let descriptors = generated["manifests"] as? [[String: Any]], !descriptors.isEmpty else {
            throw .invalidRegistry(path: generatedPath, message: "image index has no manifests")
        }
        let formulaAnnotations = generated["annotations"] as? [String: String] ?? [:]
        let bottleSize = try BottleImage.size(of: bottlePath)
        let diffID = try UncompressedDigest.sha256(ofGzipFile: bottlePath)

        var images: [PerTag] = []
        var indexDescriptors: [[String: Any]] = []
        for descriptor in descriptors {
            guard let annotations = descriptor["annotations"] as? [String: String],
                  annotations["sh.brew.bottle.digest"] == entry.sha256,
                  let refName = annotations["org.opencontainers.image.ref.name"] else {
                throw .invalidRegistry(path: generatedPath, message: "a descriptor lacks sh.brew.bottle.digest \(entry.sha256) or its ref name")
            }
            let platform = descriptor["platform"] as? [String: Any]
            var config = platform ?? [:]
            config["rootfs"] = ["type": "layers", "diff_ids": ["sha256:\(diffID)"]]
            let configDocument = Document(mediaType: BottleImage.configType, bytes: try BottleImage.json(config))
            var manifestAnnotations = formulaAnnotations.merging(annotations) { $1 }
            manifestAnnotations["org.opencontainers.image.title"] = "\(entry.name) \(refName)"
            let manifest: [String: Any] = [
                "schemaVersion": 2,
                "config": ["mediaType": BottleImage.configType, "digest": configDocument.digest,
                           "size": configDocument.bytes.count],
                "layers": [["mediaType": BottleImage.layerType, "digest": "sha256:\(entry.sha256)", "size": bottleSize,
                            "annotations": ["org.opencontainers.image.title": "\(entry.name)--\(refName).bottle.tar.gz"]]],
                "annotations": manifestAnnotations,
            ]
            let manifestDocument = Document(mediaType: BottleImage.manifestType, bytes: try BottleImage.json(manifest))
            images.append(PerTag(config: configDocument, manifest: manifestDocument))
            var indexDescriptor: [String: Any] = ["mediaType": BottleImage.manifestType, "digest": manifestDocument.digest,
                                                  "size": manifestDocument.bytes.count, "annotations": annotations]
            if let platform { indexDescriptor["platform"] = platform }
            indexDescriptors.append(indexDescriptor)
        }
        self.images = images
        // brew's index has no `mediaType` member; registries take the type from Content-Type.
        index = Document(mediaType: BottleImage.indexType, bytes: try BottleImage.json(
            ["schemaVersion": 2, "manifests": indexDescriptors, "annotations": formulaAnnotations]))
    }

    private static func object(at path: String) throws(MirrorError) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidRegistry(path: path, message: "missing")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidRegistry(path: path, message: "not a JSON object")
        }
        return object
    }

    private static func json(_ object: [String: Any]) throws(MirrorError) -> Data {
        do {
            return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw .invalidRegistry(path: "<generated document>", message: "\(error)")
        }
    }

    private static func size(of path: String) throws(MirrorError) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .invalidRegistry(path: path, message: "bottle blob missing") }
        return Int(info.st_size)
    }
}
