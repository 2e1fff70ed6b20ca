import Foundation
import PourCore

/// Copies a generated registry's bottles into an OCI distribution registry (CNCF Distribution,
/// Harbor, Zot…) in ghcr.io's repository layout, `<namespace>/<image>` with namespace
/// `homebrew/core`, through the OCI distribution API: blobs by `POST …/blobs/uploads/` then
/// `PUT <location>&digest=…`, each per-tag image manifest by digest, then the image index under
/// the tag `<pkg_version>[-<rebuild>]` (what `brew pr-upload` leaves on ghcr.io through skopeo;
/// Library/Homebrew/github_packages.rb).
///
/// Thread-safety: immutable configuration; `push` blocks the calling thread and runs the
/// formulae on `DispatchQueue.concurrentPerform`, each with its own blocking requests; the
/// summary is gathered under a `Locked`.
package struct RegistryPusher: Sendable {
    /// What a push did.
    package struct Summary: Sendable, Equatable {
        /// Formulae whose index was tagged.
        package var formulae: [String] = []
        /// Blobs (bottles and configs) uploaded, and those the registry already had.
        package var blobsUploaded = 0
        package var blobsPresent = 0
        package var bytesUploaded = 0
    }

    /// The generated registry directory (`pour-registry generate`).
    package var registry: URL
    /// `http(s)://host:port` of the target registry (no path).
    package var target: String
    /// Repository prefix, `homebrew/core` as on ghcr.io.
    package var namespace: String
    /// `Authorization` header value for the target, if it wants one.
    package var authorization: String?
    package var parallelism: Int

    package init(registry: URL, target: String, namespace: String = "homebrew/core", authorization: String? = nil,
                 parallelism: Int = 4) {
        self.registry = registry
        var target = target
        while target.hasSuffix("/") { target.removeLast() }
        self.target = target
        self.namespace = namespace
        self.authorization = authorization
        self.parallelism = max(1, parallelism)
    }

    /// Pushes every formula of the registry, or only `only` when given, minus `skipping`.
    package func push(only: Set<String>? = nil, skipping: Set<String> = []) throws(MirrorError) -> Summary {
        let manifest: RegistryManifest
        do { manifest = try RegistryManifest.load(from: registry) } catch {
            throw .invalidRegistry(path: registry.path, message: "\(error)")
        }
        if let only, let unknown = only.subtracting(manifest.formulae.keys).sorted().first {
            throw .invalidRegistry(path: registry.path, message: "no formula \(unknown) in this registry")
        }
        let entries = manifest.formulae.values
            .filter { (only?.contains($0.name) ?? true) && !skipping.contains($0.name) }
            .sorted { $0.name < $1.name }
        let summary = Locked(Summary())
        let failure = Locked<MirrorError?>(nil)
        let next = Locked(0)
        // A fixed number of workers pull formulae from a shared counter.
        DispatchQueue.concurrentPerform(iterations: min(parallelism, max(1, entries.count))) { _ in
            while failure.current == nil {
                let position = next.withLock { value -> Int in defer { value += 1 }; return value }
                guard position < entries.count else { return }
                do throws(MirrorError) {
                    let counts = try pushFormula(entries[position])
                    summary.withLock {
                        $0.formulae.append(entries[position].name)
                        $0.blobsUploaded += counts.uploaded
                        $0.blobsPresent += counts.present
                        $0.bytesUploaded += counts.bytes
                    }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        if let error = failure.current { throw error }
        var result = summary.current
        result.formulae.sort()
        return result
    }

    /// `<target>/v2/<namespace>/<image>`.
    package func repositoryURL(image: String) -> String { "\(target)/v2/\(namespace)/\(image)" }

    private func pushFormula(_ entry: RegistryManifest.Entry) throws(MirrorError) -> (uploaded: Int, present: Int, bytes: Int) {
        let image = try BottleImage(entry: entry, root: registry)
        let repository = repositoryURL(image: image.image)
        var uploaded = 0, present = 0, bytes = 0
        func count(_ sent: Int?) {
            if let sent { uploaded += 1; bytes += sent } else { present += 1 }
        }
        count(try uploadBlob(.file(image.bottlePath), digest: "sha256:\(image.bottleSHA256)", repository: repository))
        for perTag in image.images {
            count(try uploadBlob(.bytes(perTag.config.bytes), digest: perTag.config.digest, repository: repository))
            // Children first: a registry refuses an index whose manifests it does not hold.
            try putManifest(perTag.manifest, reference: perTag.manifest.digest, repository: repository)
        }
        try putManifest(image.index, reference: image.tag, repository: repository)
        return (uploaded, present, bytes)
    }

    private var client: BlockingHTTPClient { BlockingHTTPClient() }
    private var authHeaders: [String] { authorization.map { ["Authorization: \($0)"] } ?? [] }

    private enum Blob {
        case bytes(Data)
        /// Streamed from disk (bottles).
        case file(String)
    }

    /// Uploads one blob unless the repository has it; returns the bytes sent, nil when present.
    private func uploadBlob(_ blob: Blob, digest: String, repository: String) throws(MirrorError) -> Int? {
        let blobURL = "\(repository)/blobs/\(digest)"
        let head = try client.send("HEAD", blobURL, headers: authHeaders)
        if head.status == 200 { return nil }
        let startURL = "\(repository)/blobs/uploads/"
        let start = try client.send("POST", startURL, headers: authHeaders + ["Content-Length: 0"])
        guard start.status == 202, let location = start.headers["location"] else {
            throw .http(method: "POST", url: startURL, status: start.status, body: start.text)
        }
        let absolute = location.hasPrefix("/") ? target + location : location
        let putURL = absolute + (absolute.contains("?") ? "&" : "?") + "digest=" + digest
        let headers = authHeaders + ["Content-Type: application/octet-stream"]
        let put: BlockingHTTPClient.Response
        let size: Int
        switch blob {
        case .bytes(let bytes):
            put = try client.send("PUT", putURL, headers: headers, body: bytes)
            size = bytes.count
        case .file(let path):
            put = try client.send("PUT", putURL, headers: headers, bodyFile: path)
            var info = stat()
            size = stat(path, &info) == 0 ? Int(info.st_size) : 0
        }
        guard put.status == 201 else { throw .http(method: "PUT", url: blobURL, status: put.status, body: put.text) }
        return size
    }

    private func putManifest(_ document: BottleImage.Document, reference: String, repository: String) throws(MirrorError) {
        let url = "\(repository)/manifests/\(reference)"
        let put = try client.send("PUT", url, headers: authHeaders + ["Content-Type: \(document.mediaType)"],
                                  body: document.bytes)
        guard put.status == 201 else { throw .http(method: "PUT", url: url, status: put.status, body: put.text) }
    }
}
