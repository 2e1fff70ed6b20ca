import Foundation

/// `pour update`: brings the formula index for one bottle tag up to date with the API domain.
///
/// Order of attempts: `formula.jws.json` (verified with the configured key), then plain
/// `formula.json`, which is accepted only from a local file, a loopback host, or with the
/// explicit unsigned opt-out. HTTP(S) requests go through the caller's `TransferEngine` with
/// the validators of the existing index (`If-None-Match`, `If-Modified-Since`), so an unchanged
/// catalogue costs one 304 and no decoding or writing. A downloaded body goes to a
/// `CatalogueSpool` (an unlinked file beside the index), never into memory; a `file://` domain
/// is read in place (curl would only copy it) and compared by size and modification time
/// instead. Either way the index is built by `CatalogueIndexBuild`, streaming, so the 30 MB
/// catalogue is never held whole (Docs/Performance.md, "Streaming index build").
///
/// Decoding and writing the index (CPU- and disk-bound) run on a utility global queue, never on
/// the caller's queue or the I/O thread.
///
/// Confinement: mutable state (`attempt`, `spool`, `handle`, `cancelled`) lives on `queue`
/// (serial; the transfers' sink queue); `@unchecked Sendable` for that reason.
package final class CatalogueUpdater: @unchecked Sendable {
    /// What an update did.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package typealias Outcome = IndexUpdateOutcome

    private let configuration: CatalogueSource
    private let settings: IndexSettings
    private let engine: TransferEngine?
    private let queue: DispatchQueue
    private var spool: CatalogueSpool?
    private var attempt = 0
    private var handle: TransferHandle?
    private var cancelled = false

    /// `engine` may be nil only for a `file://` API domain.
    package init(source: CatalogueSource, engine: TransferEngine?, queue: DispatchQueue) {
        self.configuration = source
        self.settings = source.index
        self.engine = engine
        self.queue = queue
    }

    package var indexPath: String { IndexSettings.indexPath(layout: configuration.layout, tag: configuration.bottleTag) }

    /// True when the domain is a local directory: no transfer engine is needed.
    package static func isLocal(_ apiDomain: String) -> Bool { apiDomain.hasPrefix("file://") }

    /// Runs the update; `completion` runs once, on `queue`. `force` ignores the validators.
    package func update(force: Bool = false, completion: @escaping @Sendable (Result<Outcome, IndexError>) -> Void) {
        queue.async { [self] in
            let verifier: JWSVerifier
            do throws(IndexError) {
                verifier = try JWSVerifier.configured(settings)
            } catch {
                return completion(.failure(error))
            }
            let previous = force ? nil : storedValidators()
            let domain = configuration.endpoints.apiDomain
            if CatalogueUpdater.isLocal(domain) {
                updateFromDirectory(String(domain.dropFirst("file://".count)), previous: previous,
                                    verifier: verifier, completion: completion)
            } else {
                do throws(IndexError) {
                    spool = try CatalogueSpool(directory: (indexPath as NSString).deletingLastPathComponent)
                } catch {
                    return completion(.failure(error))
                }
                fetch("\(domain)/formula.jws.json", previous: previous) { [self] result in
                    switch result {
                    case .success(let response):
                        handle(response, url: "\(domain)/formula.jws.json", signed: true, verifier: verifier,
                               completion: completion)
                    case .failure(.httpStatus(404, _, _)):
                        fetchUnsigned(domain: domain, previous: previous, verifier: verifier, completion: completion)
                    case .failure(let error):
                        completion(.failure(.transfer(error)))
                    }
                }
            }
        }
    }

    package func cancel() {
        queue.async { [self] in
            cancelled = true
            handle?.cancel()
        }
    }

    // MARK: Remote

    private struct Response {
        var status: Int
        var etag: String?
        var lastModified: String?
    }

    private func fetchUnsigned(domain: String, previous: Validators?, verifier: JWSVerifier,
                               completion: @escaping @Sendable (Result<Outcome, IndexError>) -> Void) {
        let url = "\(domain)/formula.json"
        guard settings.allowUnsigned || CatalogueUpdater.isLoopback(url) else {
            return completion(.failure(.unsignedRefused(url: url)))
        }
        fetch(url, previous: previous) { [self] result in
            switch result {
            case .success(let response):
                handle(response, url: url, signed: false, verifier: verifier, completion: completion)
            case .failure(.httpStatus(404, _, _)):
                completion(.failure(.catalogueUnavailable(apiDomain: domain)))
            case .failure(let error):
                completion(.failure(.transfer(error)))
            }
        }
    }

    private func handle(_ response: Response, url: String, signed: Bool, verifier: JWSVerifier,
                        completion: @escaping @Sendable (Result<Outcome, IndexError>) -> Void) {
        let spool = self.spool
        self.spool = nil
        if response.status == 304 {
            IndexSettings.touchStamp(indexPath: indexPath)
            return completion(.success(.notModified(indexPath: indexPath)))
        }
        guard let spool else { return completion(.failure(.transfer(.invalidURL(url)))) }
        if let failure = spool.failure { return completion(.failure(.spool(directory: spool.directory, message: failure))) }
        let metadata = IndexWriter.Metadata(sourceURL: url, etag: response.etag, lastModified: response.lastModified,
                                            signed: signed, tag: configuration.bottleTag)
        // The spool travels with the build and closes when it is done.
        build(metadata: metadata, verifier: verifier, completion: completion) {
            (CatalogueReader(fileDescriptor: spool.fileDescriptor), spool)
        }
    }

    /// One GET with retries, conditional on the previous validators when they belong to `url`.
    private func fetch(_ url: String, previous: Validators?,
                       completion: @escaping @Sendable (Result<Response, TransferError>) -> Void) {
        guard let engine else { return completion(.failure(.invalidURL(url))) }
        guard !cancelled else { return completion(.failure(.cancelled)) }
        let spool = self.spool
        spool?.reset()
        attempt += 1
        var headers: [String] = []
        if let previous, previous.sourceURL == url {
            if let etag = previous.etag { headers.append("If-None-Match: \(etag)") }
            if let lastModified = previous.lastModified { headers.append("If-Modified-Since: \(lastModified)") }
        }
        let request = TransferRequest(url: url, headers: headers, maxBodyBytes: 1 << 30,
                                      timeouts: configuration.timeouts, acceptCompressed: true)
        handle = engine.start(request, queue: queue, onResponse: { _ in },
                              onData: { data in spool?.append(data) },
                              completion: { [self] result in
            handle = nil
            switch result {
            case .success(let summary):
                attempt = 0
                completion(.success(Response(status: summary.status, etag: summary.etag,
                                             lastModified: summary.lastModified)))
            case .failure(let error):
                let decision: RetryDecision = cancelled
                    ? .giveUp(.cancelled) : configuration.retryPolicy.decision(after: error, attempt: attempt, url: url)
                switch decision {
                case .retry(let delay):
                    queue.asyncAfter(deadline: .now() + delay) { [self] in
                        fetch(url, previous: previous, completion: completion)
                    }
                case .giveUp(let final):
                    attempt = 0
                    completion(.failure(final))
                }
            }
        })
    }

    /// `127.0.0.0/8`, `::1` and `localhost`: a catalogue the user serves to themselves.
    package static func isLoopback(_ url: String) -> Bool {
        guard let host = URLComponents(string: url)?.host?.lowercased() else { return false }
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    // MARK: Local directory

    private func updateFromDirectory(_ directory: String, previous: Validators?, verifier: JWSVerifier,
                                     completion: @escaping @Sendable (Result<Outcome, IndexError>) -> Void) {
        let signedPath = "\(directory)/formula.jws.json"
        let plainPath = "\(directory)/formula.json"
        let signed = access(signedPath, R_OK) == 0
        let path = signed ? signedPath : plainPath
        guard access(path, R_OK) == 0 else {
            return completion(.failure(.catalogueUnavailable(apiDomain: "file://\(directory)")))
        }
        let url = "file://\(path)"
        let validator = CatalogueUpdater.fileValidator(path)
        if let previous, previous.sourceURL == url, previous.etag == validator {
            IndexSettings.touchStamp(indexPath: indexPath)
            return completion(.success(.notModified(indexPath: indexPath)))
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            return completion(.failure(.malformedCatalogue(source: url, detail: "cannot read: \(errnoText())")))
        }
        let metadata = IndexWriter.Metadata(sourceURL: url, etag: validator, lastModified: nil, signed: signed,
                                            tag: configuration.bottleTag)
        let file = LocalCatalogue(fileDescriptor: fd)
        build(metadata: metadata, verifier: verifier, completion: completion) {
            (CatalogueReader(fileDescriptor: file.fileDescriptor), file)
        }
    }

    /// Size and modification time of a local catalogue, standing in for an ETag.
    static func fileValidator(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, let modified = IndexSettings.modificationTime(path) else { return nil }
        return "file:\(info.st_size):\(modified)"
    }

    // MARK: Building

    /// Builds the index on a utility queue from the reader `open` returns; the second value it
    /// returns (the spool or the open local file) is kept alive until the build ends.
    private func build(metadata: IndexWriter.Metadata, verifier: JWSVerifier,
                       completion: @escaping @Sendable (Result<Outcome, IndexError>) -> Void,
                       open: @escaping @Sendable () -> (CatalogueReader, AnyObject & Sendable)) {
        let path = indexPath
        DispatchQueue.global(qos: .utility).async { [queue] in
            let result = Result { () throws(IndexError) -> Outcome in
                let (reader, owner) = open()
                let summary = try withExtendedLifetime(owner) { () throws(IndexError) in
                    try CatalogueIndexBuild.run(reader, metadata: metadata, verifier: verifier, path: path)
                }
                IndexSettings.touchStamp(indexPath: path)
                return .rebuilt(indexPath: path, formulae: summary.formulae, rejected: summary.rejected,
                                signed: metadata.signed, source: metadata.sourceURL)
            }
            queue.async { completion(result) }
        }
    }

    /// An open local catalogue, closed when the build that reads it is done.
    ///
    /// Immutable; the descriptor is read only by the building queue.
    private final class LocalCatalogue: Sendable {
        let fileDescriptor: Int32
        init(fileDescriptor: Int32) { self.fileDescriptor = fileDescriptor }
        deinit { close(fileDescriptor) }
    }

    // MARK: Validators

    private struct Validators {
        var sourceURL: String
        var etag: String?
        var lastModified: String?
    }

    /// The validators of the current index, when it is readable and of this schema.
    private func storedValidators() -> Validators? {
        guard let index = try? FormulaIndex(path: indexPath), let source = index.metadata("source_url") else { return nil }
        return Validators(sourceURL: source, etag: index.metadata("etag"), lastModified: index.metadata("last_modified"))
    }
}
