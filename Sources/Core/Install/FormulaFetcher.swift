import Foundation

/// Gathers the formula metadata an install needs: each requested formula's JSON and, breadth
/// first, its runtime dependencies', fetched in parallel through the transfer engine and cached
/// under `<cache>/api/formula/<name>.json`.
///
/// A cached file younger than `apiMaxAge` is used without network (so a repeated install is fully
/// offline); an older one is refreshed, and used anyway when the refresh fails. A name the API
/// does not know by itself (an alias, an old name, a typo) makes the fetcher load the full
/// `formula.json` once, so the resolver can map aliases/oldnames and suggest close matches.
///
/// When a formula index (`pour update`) exists for the bottle tag and is fresh, the closure is
/// read from it with no network at all; a missing or stale index is refreshed first (when
/// auto-update is on), and the per-formula path below remains the fallback when the API domain
/// offers no catalogue or the index cannot be used.
///
/// Read-only mode (`install --dry-run`): nothing is written — no API cache file, no index
/// refresh; a fresh index is used as usual, else the API is read per formula (fresh cached
/// files are still used).
///
/// Confinement: all state lives on `queue` (serial); `@unchecked Sendable` for that reason.
final class FormulaFetcher: @unchecked Sendable {
    private let engine: TransferEngine
    private let configuration: InstallConfiguration
    private let queue: DispatchQueue
    private let readOnly: Bool
    private var catalog: FormulaCatalog
    private var requestedNames: Set<String> = []
    private var outstanding = 0
    private var unknown: [String] = []
    private var failure: InstallError?
    private var fetches: [MemoryFetch] = []
    private var updater: CatalogueUpdater?
    private var cancelled = false
    private var completion: (@Sendable (Result<FormulaCatalog, InstallError>) -> Void)?
    /// Told (on `queue`) of each formula fetched over the network as soon as it decodes, before
    /// the closure is complete: the installer starts its bottle download then.
    private var onFormula: (@Sendable (Formula) -> Void)?
    /// Fetched JSONs not written to the cache yet (`cacheLater`): handed to a global queue
    /// `storeBatch` at a time and when the fetch ends, not one dispatch (one thread wake-up) each.
    private var pendingStores: [(data: Data, path: String)] = []
    /// 32 formula JSONs are ~100 KB to ~1 MB held a little longer; a closure of 1,000 formulae
    /// costs ~30 dispatches instead of 1,000.
    static let storeBatch = 32

    init(engine: TransferEngine, configuration: InstallConfiguration, queue: DispatchQueue, readOnly: Bool = false) {
        self.engine = engine
        self.configuration = configuration
        self.queue = queue
        self.readOnly = readOnly
        self.catalog = FormulaCatalog(tag: configuration.bottleTag, formulae: [])
    }

    /// Fetches the closure of `names`; `completion` runs on `queue`.
    /// - Parameter onFormula: called on `queue` for each formula of the per-formula path as soon as
    ///   it decodes (not for index answers, which arrive all at once).
    func fetchClosure(of names: [String], onFormula: (@Sendable (Formula) -> Void)? = nil,
                      completion: @escaping @Sendable (Result<FormulaCatalog, InstallError>) -> Void) {
        queue.async { [self] in
            self.completion = completion
            self.onFormula = onFormula
            if startFromIndex(names) { return }
            fetchPerFormula(names)
        }
    }

    private func fetchPerFormula(_ names: [String]) {
        dispatchPrecondition(condition: .onQueue(queue))
        for name in names { request(FormulaFetcher.canonicalRequestName(name)) }
        finishIfDone()
    }

    /// Serves the request from the formula index, refreshing it first when missing or stale.
    /// Returns false when the per-formula path must be used instead.
    private func startFromIndex(_ names: [String]) -> Bool {
        dispatchPrecondition(condition: .onQueue(queue))
        let settings = configuration.index
        let path = IndexSettings.indexPath(layout: configuration.layout, tag: configuration.bottleTag)
        let exists = access(path, R_OK) == 0
        let sameDomain = exists && (try? FormulaIndex(path: path))?.isBuilt(fromAPIDomain: configuration.endpoints.apiDomain) == true
        if exists && (!settings.autoUpdate || (sameDomain && settings.isFresh(indexPath: path, apiMaxAge: configuration.apiMaxAge))) {
            return completeFromIndex(names, path: path)
        }
        // Read-only: a stale or missing index is not rebuilt; the API is read per formula
        // (current data, as the install would see after its refresh) and nothing is stored.
        guard settings.autoUpdate, !readOnly else { return false }
        let updater = CatalogueUpdater(configuration: configuration, engine: engine, queue: queue)
        self.updater = updater
        updater.update { [self] result in
            self.updater = nil
            if cancelled { return finishIfDone() }
            switch result {
            case .success:
                if !completeFromIndex(names, path: path) { fetchPerFormula(names) }
            case .failure:
                // A stale index of this domain beats none; without one, the per-formula API still works.
                if !(sameDomain && completeFromIndex(names, path: path)) { fetchPerFormula(names) }
            }
        }
        return true
    }

    /// Completes with the closure of `names` read from the index. When a requested name is
    /// unknown the whole index is handed over so the resolver can suggest close names.
    private func completeFromIndex(_ names: [String], path: String) -> Bool {
        guard let completion else { return true }
        do throws(IndexError) {
            let index = try FormulaIndex(path: path)
            guard index.tag == configuration.bottleTag else { return false }
            var (closure, unknown) = try index.closure(of: names.map(FormulaFetcher.canonicalRequestName))
            // A formula the catalogue refused (unsafe path name) is reported as such, naming the field.
            let missing = unknown + closure.formulae.flatMap(\.dependencies).filter { closure.formula(named: $0) == nil }
            if let refused = missing.lazy.compactMap({ index.refusal(of: $0) }).first {
                self.completion = nil
                completion(.failure(.registry(refused)))
                return true
            }
            if !unknown.isEmpty { closure = FormulaCatalog(tag: configuration.bottleTag, formulae: try index.allFormulae()) }
            self.completion = nil
            completion(.success(closure))
            return true
        } catch {
            return false
        }
    }

    func cancel() {
        queue.async { [self] in
            cancelled = true
            fetches.forEach { $0.cancel() }
            updater?.cancel()
        }
    }

    /// `homebrew/core/foo` and `foo` name the same formula; other taps are not served by the API.
    static func canonicalRequestName(_ name: String) -> String {
        name.hasPrefix("homebrew/core/") ? String(name.dropFirst("homebrew/core/".count)) : name
    }

    /// Formula names are file and URL components: refuse anything that could escape either.
    /// Only ASCII letters, digits and `@+._-`, 1–128 of them, not starting with `.`, without `..`.
    /// Checked on bytes: the rule admits ASCII only, where a byte is a character, and the
    /// `CharacterSet` and NSString search it used to go through cost measurable time per formula
    /// (Docs/Performance.md, "Foundation string search").
    static func isSafeName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= 128, bytes.first != UInt8(ascii: ".") else { return false }
        var previous: UInt8 = 0
        for byte in bytes {
            let allowed = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "@") || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            guard allowed, !(byte == UInt8(ascii: ".") && previous == UInt8(ascii: ".")) else { return false }
            previous = byte
        }
        return true
    }

    private func cachePath(_ name: String) -> String { "\(configuration.layout.api)/formula/\(name).json" }

    private func request(_ name: String) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !requestedNames.contains(name), catalog.formula(named: name) == nil else { return }
        requestedNames.insert(name)
        guard FormulaFetcher.isSafeName(name) else {
            unknown.append(name)
            return
        }
        let path = cachePath(name)
        if let data = FormulaFetcher.freshCache(at: path, maxAge: configuration.apiMaxAge) {
            if add(data, source: path) { return }
        }
        outstanding += 1
        let source = DownloadSource(url: configuration.endpoints.formulaJSONURL(name), allowFile: true) // the API domain is the user's
        let fetch = MemoryFetch(engine: engine, source: source, policy: configuration.retryPolicy,
                                timeouts: configuration.timeouts, maxBytes: 16 << 20, queue: queue) { [self] result in
            outstanding -= 1
            switch result {
            case .success(let data):
                if add(data, source: source.url), !readOnly { cacheLater(data, at: path) }
            case .failure(.httpStatus(404, _, _)):
                unknown.append(name)
            case .failure(let error):
                if let stale = FileManager.default.contents(atPath: path), add(stale, source: path) {
                    break
                }
                if failure == nil { failure = error == .cancelled ? .cancelled(FormulaFetcher.emptyReport) : .metadata(error) }
            }
            finishIfDone()
        }
        fetches.append(fetch)
        fetch.start()
    }

    /// Adds one formula object and requests its runtime dependencies. Returns false when the data
    /// does not decode (the caller then tries the network or reports the error).
    private func add(_ data: Data, source: String) -> Bool {
        let added: Formula
        do throws(RegistryError) {
            added = try catalog.add(formulaObject: data, source: source)  // in place: no copy of the catalogue
        } catch {
            if failure == nil { failure = .registry(error) }
            return false
        }
        for dependency in added.installDependencies { request(dependency) }
        onFormula?(added)
        return true
    }

    /// Queues a fetched formula JSON for the cache (see `pendingStores`).
    private func cacheLater(_ data: Data, at path: String) {
        dispatchPrecondition(condition: .onQueue(queue))
        pendingStores.append((data, path))
        if pendingStores.count >= FormulaFetcher.storeBatch { flushStores() }
    }

    /// Writes the queued cache files on a global queue (off this queue, like `store`).
    private func flushStores() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !pendingStores.isEmpty else { return }
        let batch = pendingStores
        pendingStores = []
        DispatchQueue.global(qos: .utility).async {
            for item in batch { FormulaFetcher.storeNow(item.data, at: item.path) }
        }
    }

    private func finishIfDone() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard outstanding == 0, let completion else { return }
        // Every answer has arrived: what is queued for the cache goes now, whatever the outcome.
        flushStores()
        if cancelled {
            self.completion = nil
            return completion(.failure(.cancelled(FormulaFetcher.emptyReport)))
        }
        if let failure {
            self.completion = nil
            return completion(.failure(failure))
        }
        if !unknown.isEmpty {
            unknown = []
            return loadFullCatalogue()
        }
        self.completion = nil
        completion(.success(catalog))
    }

    /// Loads `formula.json` (cached like the per-formula files) and merges it under what was
    /// already fetched, so aliases, old names and suggestions work.
    private func loadFullCatalogue() {
        let path = "\(configuration.layout.api)/formula.json"
        let merge: @Sendable (Data, String) -> Void = { [self] data, source in
            do throws(RegistryError) {
                let full = try FormulaCatalog(tag: configuration.bottleTag, formulaArray: data, source: source)
                let fetchedNames = Set(catalog.names)
                catalog = FormulaCatalog(tag: configuration.bottleTag,
                                         formulae: catalog.formulae + full.formulae.filter { !fetchedNames.contains($0.name) },
                                         rejected: catalog.rejected + full.rejected)
            } catch {
                if failure == nil { failure = .registry(error) }
            }
            // The resolver reports names that are still unknown, with suggestions.
            finishIfDone()
        }
        if let data = FormulaFetcher.freshCache(at: path, maxAge: configuration.apiMaxAge) {
            return merge(data, path)
        }
        outstanding += 1
        let source = DownloadSource(url: "\(configuration.endpoints.apiDomain)/formula.json", allowFile: true)
        let fetch = MemoryFetch(engine: engine, source: source, policy: configuration.retryPolicy,
                                timeouts: configuration.timeouts, maxBytes: 512 << 20, queue: queue) { [self] result in
            outstanding -= 1
            switch result {
            case .success(let data):
                if !readOnly { FormulaFetcher.store(data, at: path) }
                merge(data, source.url)
            case .failure(let error):
                if let stale = FileManager.default.contents(atPath: path) {
                    merge(stale, path)
                } else {
                    // Without the catalogue the unknown names stay unknown; the resolver names them.
                    if case .cancelled = error { cancelled = true }
                    finishIfDone()
                }
            }
        }
        fetches.append(fetch)
        fetch.start()
    }

    static let emptyReport = InstallReport(packages: [], networkBytes: 0, seconds: 0, cancelled: true)

    /// The cached file at `path` when younger than `maxAge` seconds (its own modification time,
    /// a link not followed, as `FileManager.attributesOfItem` read it). One `lstat`: the
    /// `FileManager` call built an attribute dictionary, or an `NSError` for the usual missing
    /// file, per formula (Docs/Performance.md, "Fourth pass").
    static func freshCache(at path: String, maxAge: Double) -> Data? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
            let time = info.st_mtimespec
        #else
            let time = info.st_mtim
        #endif
        let modified = Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        guard Date().timeIntervalSince1970 - modified < maxAge else { return nil }
        return FileManager.default.contents(atPath: path)
    }

    /// Temporary names: a random part drawn once per process and a counter (a `getrandom`
    /// and a `getpid` per stored formula before), so no name is used twice or guessable.
    private static let temporaryTag = "\(getpid()).\(UInt64.random(in: 0...UInt64.max))"
    private static let temporaryCounter = Locked<UInt64>(0)

    /// Writes a cache file atomically (temp + rename) so a reader never sees half a file, off the
    /// caller's queue. Not fsynced (FileManager's writers fsync): a cache entry lost to a power
    /// failure is simply fetched again. The directory is created only when the temporary file
    /// cannot be (the first store of a fresh cache), not once per formula.
    static func store(_ data: Data, at path: String) {
        DispatchQueue.global(qos: .utility).async { storeNow(data, at: path) }
    }

    /// `store`'s work, on the caller's thread.
    static func storeNow(_ data: Data, at path: String) {
        let number = temporaryCounter.withLock { counter -> UInt64 in
            counter += 1
            return counter
        }
        let temporary = "\(path).\(temporaryTag).\(number).tmp"
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var fd = open(temporary, flags, 0o644)
        if fd < 0 && errno == ENOENT {
            let directory = (path as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            fd = open(temporary, flags, 0o644)
        }
        guard fd >= 0 else { return }
        let complete = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        close(fd)
        if !complete || rename(temporary, path) != 0 { unlink(temporary) }
    }
}
