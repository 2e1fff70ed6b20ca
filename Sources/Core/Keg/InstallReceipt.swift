import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A keg's `INSTALL_RECEIPT.json`, in Homebrew's own field names so `brew list`, `brew leaves`
/// and `brew autoremove` treat pour-installed kegs exactly like their own.
///
/// Reading is lenient because receipts written by a dozen brew versions exist in the wild: every
/// field may be missing (an absent `installed_on_request` reads as false, as brew treats nil) and
/// unknown fields are ignored. Writing emits only the fields brew writes — nothing pour-specific.
///
/// Immutable value semantics; safe to share across queues.
package struct InstallReceipt: Codable, Hashable, Sendable {
    package static let fileName = "INSTALL_RECEIPT.json"

    package var homebrewVersion: String?
    package var usedOptions: [String]
    package var unusedOptions: [String]
    package var builtAsBottle: Bool
    package var pouredFromBottle: Bool
    package var loadedFromAPI: Bool
    /// `loaded_from_internal_api` (brew ≥ 4.5, `tab.rb`): the formula came from brew's internal
    /// per-tag packages API. pour reads the package formula API, so it writes false; nil (key left
    /// out) for older receipts that never had it, so rewriting them keeps their shape.
    package var loadedFromInternalAPI: Bool?
    package var installedAsDependency: Bool
    package var installedOnRequest: Bool
    /// Files whose placeholders were rewritten on pour, relative to the keg; nil when unknown.
    package var changedFiles: [String]?
    /// Install time, seconds since the epoch.
    package var time: Int?
    package var sourceModifiedTime: Int
    package var compiler: String?
    package var stdlib: String?
    package var aliases: [String]
    /// nil for receipts that never recorded them (brew < 1.1.6), distinct from "none".
    package var runtimeDependencies: [RuntimeDependency]?
    package var source: Source
    package var arch: String?
    package var builtOn: BuiltOn?
    /// Fields of a brew-written receipt pour does not model, written back unchanged. Always empty
    /// for receipts pour builds: pour adds nothing of its own.
    package var extra: [String: ReceiptJSONValue] = [:]

    /// One `runtime_dependencies` entry.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct RuntimeDependency: Codable, Hashable, Sendable {
        package var fullName: String
        package var version: String?
        package var revision: Int
        package var pkgVersion: String?
        package var declaredDirectly: Bool
        /// Unmodelled fields (brew's `bottle_rebuild`, `uses_from_macos`), kept verbatim.
        package var extra: [String: ReceiptJSONValue] = [:]

        package init(fullName: String, version: String?, revision: Int, pkgVersion: String?, declaredDirectly: Bool) {
            self.fullName = fullName
            self.version = version
            self.revision = revision
            self.pkgVersion = pkgVersion
            self.declaredDirectly = declaredDirectly
        }

        enum CodingKeys: String, CodingKey {
            case fullName = "full_name", version, revision, pkgVersion = "pkg_version"
            case declaredDirectly = "declared_directly"
        }

        package init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            fullName = try c.decode(String.self, forKey: .fullName)
            version = try c.decodeIfPresent(String.self, forKey: .version)
            revision = (try? c.decodeIfPresent(Int.self, forKey: .revision)) ?? 0
            pkgVersion = try c.decodeIfPresent(String.self, forKey: .pkgVersion)
            declaredDirectly = (try? c.decodeIfPresent(Bool.self, forKey: .declaredDirectly)) ?? false
            extra = ReceiptExtraFields.read(decoder, known: CodingKeys.self)
        }

        package func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(fullName, forKey: .fullName)
            try c.encode(version, forKey: .version)
            try c.encode(revision, forKey: .revision)
            try c.encode(pkgVersion, forKey: .pkgVersion)
            try c.encode(declaredDirectly, forKey: .declaredDirectly)
            try ReceiptExtraFields.write(extra, to: encoder)
        }
    }

    /// The `source` object: where the formula came from.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Source: Codable, Hashable, Sendable {
        package var path: String?
        package var tap: String?
        package var tapGitHead: String?
        package var spec: String
        package var versions: Versions
        /// Unmodelled fields, kept verbatim.
        package var extra: [String: ReceiptJSONValue] = [:]

        package init(path: String?, tap: String?, tapGitHead: String?, spec: String = "stable", versions: Versions) {
            self.path = path
            self.tap = tap
            self.tapGitHead = tapGitHead
            self.spec = spec
            self.versions = versions
        }

        enum CodingKeys: String, CodingKey {
            case path, tap, tapGitHead = "tap_git_head", spec, versions
        }

        package init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try? c.decodeIfPresent(String.self, forKey: .path)
            tap = try? c.decodeIfPresent(String.self, forKey: .tap)
            tapGitHead = try? c.decodeIfPresent(String.self, forKey: .tapGitHead)
            spec = (try? c.decodeIfPresent(String.self, forKey: .spec)) ?? "stable"
            versions = (try? c.decodeIfPresent(Versions.self, forKey: .versions)) ?? Versions(stable: nil)
            extra = ReceiptExtraFields.read(decoder, known: CodingKeys.self)
        }

        package func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(path, forKey: .path)
            try c.encode(tap, forKey: .tap)
            try c.encode(tapGitHead, forKey: .tapGitHead)
            try c.encode(spec, forKey: .spec)
            try c.encode(versions, forKey: .versions)
            try ReceiptExtraFields.write(extra, to: encoder)
        }
    }

    /// `source.versions`.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Versions: Codable, Hashable, Sendable {
        package var stable: String?
        package var head: String?
        package var versionScheme: Int
        /// Unmodelled fields (brew's `compatibility_version`), kept verbatim.
        package var extra: [String: ReceiptJSONValue] = [:]

        package init(stable: String?, head: String? = nil, versionScheme: Int = 0) {
            self.stable = stable
            self.head = head
            self.versionScheme = versionScheme
        }

        enum CodingKeys: String, CodingKey { case stable, head, versionScheme = "version_scheme" }

        package init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            // Brew 1.5.13–4.0.17 wrote "" for absent versions; brew itself reads that as nil.
            stable = (try? c.decodeIfPresent(String.self, forKey: .stable)).flatMap { $0?.isEmpty == false ? $0 : nil }
            head = (try? c.decodeIfPresent(String.self, forKey: .head)).flatMap { $0?.isEmpty == false ? $0 : nil }
            versionScheme = (try? c.decodeIfPresent(Int.self, forKey: .versionScheme)) ?? 0
            extra = ReceiptExtraFields.read(decoder, known: CodingKeys.self)
        }

        package func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(stable, forKey: .stable)
            try c.encode(head, forKey: .head)
            try c.encode(versionScheme, forKey: .versionScheme)
            try ReceiptExtraFields.write(extra, to: encoder)
        }
    }

    /// `built_on`: a minimal description of the host. Brew writes more keys (xcode, clt,
    /// glibc_version…); they are optional for its readers.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct BuiltOn: Codable, Hashable, Sendable {
        package var os: String?
        package var osVersion: String?
        package var cpuFamily: String?
        /// Unmodelled fields (brew's `xcode`, `clt`, `glibc_version`…), kept verbatim.
        package var extra: [String: ReceiptJSONValue] = [:]

        package init(os: String?, osVersion: String?, cpuFamily: String?) {
            self.os = os
            self.osVersion = osVersion
            self.cpuFamily = cpuFamily
        }

        enum CodingKeys: String, CodingKey { case os, osVersion = "os_version", cpuFamily = "cpu_family" }

        package init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            os = try? c.decodeIfPresent(String.self, forKey: .os)
            osVersion = try? c.decodeIfPresent(String.self, forKey: .osVersion)
            cpuFamily = try? c.decodeIfPresent(String.self, forKey: .cpuFamily)
            extra = ReceiptExtraFields.read(decoder, known: CodingKeys.self)
        }

        package func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(os, forKey: .os)
            try c.encode(osVersion, forKey: .osVersion)
            try c.encode(cpuFamily, forKey: .cpuFamily)
            try ReceiptExtraFields.write(extra, to: encoder)
        }

        /// The running host, as brew's `DevelopmentTools.build_system_info` roughly reports it.
        /// Read once per process (it was one `uname` per package written).
        package static let host: BuiltOn = {
            var name = utsname()
            uname(&name)
            func field<T>(_ value: T) -> String {
                withUnsafeBytes(of: value) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
            }
            #if os(macOS)
                let os = "Macintosh"
                let version = ProcessInfo.processInfo.operatingSystemVersionString
            #else
                let os = "Linux"
                let version = field(name.release)
            #endif
            return BuiltOn(os: os, osVersion: version, cpuFamily: field(name.machine))
        }()
    }

    enum CodingKeys: String, CodingKey {
        case homebrewVersion = "homebrew_version", usedOptions = "used_options", unusedOptions = "unused_options"
        case builtAsBottle = "built_as_bottle", pouredFromBottle = "poured_from_bottle"
        case loadedFromAPI = "loaded_from_api", loadedFromInternalAPI = "loaded_from_internal_api"
        case installedAsDependency = "installed_as_dependency"
        case installedOnRequest = "installed_on_request", changedFiles = "changed_files", time
        case sourceModifiedTime = "source_modified_time", compiler, stdlib, aliases
        case runtimeDependencies = "runtime_dependencies", source, arch, builtOn = "built_on"
    }

    package init(homebrewVersion: String? = PourVersion.homebrewCompatible, usedOptions: [String] = [],
                unusedOptions: [String] = [], builtAsBottle: Bool = true, pouredFromBottle: Bool = true,
                loadedFromAPI: Bool = true, loadedFromInternalAPI: Bool? = false,
                installedAsDependency: Bool, installedOnRequest: Bool,
                changedFiles: [String]?, time: Int?, sourceModifiedTime: Int = 0, compiler: String?,
                stdlib: String? = nil, aliases: [String] = [], runtimeDependencies: [RuntimeDependency]?,
                source: Source, arch: String?, builtOn: BuiltOn?) {
        self.homebrewVersion = homebrewVersion
        self.usedOptions = usedOptions
        self.unusedOptions = unusedOptions
        self.builtAsBottle = builtAsBottle
        self.pouredFromBottle = pouredFromBottle
        self.loadedFromAPI = loadedFromAPI
        self.loadedFromInternalAPI = loadedFromInternalAPI
        self.installedAsDependency = installedAsDependency
        self.installedOnRequest = installedOnRequest
        self.changedFiles = changedFiles
        self.time = time
        self.sourceModifiedTime = sourceModifiedTime
        self.compiler = compiler
        self.stdlib = stdlib
        self.aliases = aliases
        self.runtimeDependencies = runtimeDependencies
        self.source = source
        self.arch = arch
        self.builtOn = builtOn
    }

    package init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // `try?` on each field: a wrongly-typed field in an old receipt must not make the whole
        // keg look uninstalled.
        func value<T: Decodable>(_ type: T.Type, _ key: CodingKeys) -> T? {
            (try? c.decodeIfPresent(type, forKey: key)) ?? nil
        }
        homebrewVersion = value(String.self, .homebrewVersion)
        usedOptions = value([String].self, .usedOptions) ?? []
        unusedOptions = value([String].self, .unusedOptions) ?? []
        builtAsBottle = value(Bool.self, .builtAsBottle) ?? false
        pouredFromBottle = value(Bool.self, .pouredFromBottle) ?? false
        loadedFromAPI = value(Bool.self, .loadedFromAPI) ?? false
        loadedFromInternalAPI = value(Bool.self, .loadedFromInternalAPI)
        installedAsDependency = value(Bool.self, .installedAsDependency) ?? false
        installedOnRequest = value(Bool.self, .installedOnRequest) ?? false
        changedFiles = value([String].self, .changedFiles)
        time = value(Int.self, .time)
        sourceModifiedTime = value(Int.self, .sourceModifiedTime) ?? 0
        compiler = value(String.self, .compiler)
        stdlib = value(String.self, .stdlib)
        aliases = value([String].self, .aliases) ?? []
        runtimeDependencies = value([RuntimeDependency].self, .runtimeDependencies)
        source = value(Source.self, .source)
            ?? Source(path: nil, tap: nil, tapGitHead: nil, versions: Versions(stable: nil))
        arch = value(String.self, .arch)
        builtOn = value(BuiltOn.self, .builtOn)
        extra = ReceiptExtraFields.read(decoder, known: CodingKeys.self)
    }

    package func encode(to encoder: Encoder) throws {
        // Explicit `encode` of optionals writes JSON null, as brew does, instead of dropping keys.
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(homebrewVersion, forKey: .homebrewVersion)
        try c.encode(usedOptions, forKey: .usedOptions)
        try c.encode(unusedOptions, forKey: .unusedOptions)
        try c.encode(builtAsBottle, forKey: .builtAsBottle)
        try c.encode(pouredFromBottle, forKey: .pouredFromBottle)
        try c.encode(loadedFromAPI, forKey: .loadedFromAPI)
        try c.encodeIfPresent(loadedFromInternalAPI, forKey: .loadedFromInternalAPI)
        try c.encode(installedAsDependency, forKey: .installedAsDependency)
        try c.encode(installedOnRequest, forKey: .installedOnRequest)
        try c.encode(changedFiles, forKey: .changedFiles)
        try c.encode(time, forKey: .time)
        try c.encode(sourceModifiedTime, forKey: .sourceModifiedTime)
        try c.encode(compiler, forKey: .compiler)
        try c.encode(stdlib, forKey: .stdlib)
        try c.encode(aliases, forKey: .aliases)
        try c.encode(runtimeDependencies, forKey: .runtimeDependencies)
        try c.encode(source, forKey: .source)
        try c.encode(arch, forKey: .arch)
        try c.encode(builtOn, forKey: .builtOn)
        try ReceiptExtraFields.write(extra, to: encoder)
    }

    // MARK: Building

    /// A runtime dependency as the builder receives it.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Dependency: Sendable {
        package var formula: Formula
        /// True when the formula being installed names it itself (not only transitively).
        package var declaredDirectly: Bool
        /// Unmodelled fields (brew's `bottle_rebuild`, `uses_from_macos`), kept verbatim.
        package var extra: [String: ReceiptJSONValue] = [:]

        package init(_ formula: Formula, declaredDirectly: Bool) {
            self.formula = formula
            self.declaredDirectly = declaredDirectly
        }
    }

    /// The receipt for a keg poured from a bottle of `formula`.
    ///
    /// - Parameters:
    ///   - installedOnRequest: the user named it; false when pulled in as a dependency.
    ///   - runtimeDependencies: every runtime dependency (transitive included), as brew records them.
    ///   - changedFiles: keg-relative paths whose placeholders were rewritten.
    ///   - layout: locates the tap's formula file for `source.path`.
    package static func poured(formula: Formula, installedOnRequest: Bool, runtimeDependencies: [Dependency],
                              changedFiles: [String], layout: PrefixLayout, tapGitHead: String? = nil,
                              time: Int = Int(Date().timeIntervalSince1970),
                              sourceModifiedTime: Int? = nil) -> InstallReceipt {
        let deps = runtimeDependencies.map {
            RuntimeDependency(fullName: $0.formula.fullName, version: $0.formula.version,
                              revision: $0.formula.revision, pkgVersion: $0.formula.pkgVersion,
                              declaredDirectly: $0.declaredDirectly)
        }
        #if os(macOS)
            let compiler = "clang"
        #else
            let compiler = "gcc-12"
        #endif
        #if arch(arm64)
            let arch = "arm64"
        #else
            let arch = "x86_64"
        #endif
        return InstallReceipt(
            installedAsDependency: !installedOnRequest, installedOnRequest: installedOnRequest,
            changedFiles: changedFiles, time: time, sourceModifiedTime: sourceModifiedTime ?? time,
            compiler: compiler, aliases: formula.aliases, runtimeDependencies: deps,
            source: Source(path: formulaPath(formula, layout: layout), tap: formula.tap, tapGitHead: tapGitHead,
                           versions: Versions(stable: formula.version, versionScheme: formula.versionScheme)),
            arch: arch, builtOn: .host)
    }

    /// The receipt for a keg poured from a bottle whose build tab is `tab`, filled in as
    /// `formula_installer.rb#pour` fills the loaded tab: `homebrew_version`, `changed_files` and the
    /// build facts (compiler, stdlib, built_on, arch, source time) are the builder's and come from
    /// the tab; what describes this install (options, request, time, dependencies, source) is ours.
    /// Without a tab (or a tab without `changed_files`), `relocatedFiles` — what pour actually
    /// rewrote — stands in for `changed_files`.
    package static func poured(formula: Formula, installedOnRequest: Bool, runtimeClosure: [Formula], tab: BottleTab?,
                               relocatedFiles: [String], layout: PrefixLayout) -> InstallReceipt {
        let direct = Set(formula.installDependencies)
        var receipt = poured(formula: formula, installedOnRequest: installedOnRequest,
                             runtimeDependencies: runtimeClosure.map { .init($0, declaredDirectly: direct.contains($0.name)) },
                             changedFiles: tab?.changedFiles ?? relocatedFiles, layout: layout)
        if let version = tab?.homebrewVersion, !version.isEmpty { receipt.homebrewVersion = version }
        if let built = tab?.receipt {
            // What the bottle was built with is the builder's knowledge, not ours.
            receipt.compiler = built.compiler ?? receipt.compiler
            receipt.stdlib = built.stdlib ?? receipt.stdlib
            receipt.builtOn = built.builtOn ?? receipt.builtOn
            receipt.arch = built.arch ?? receipt.arch
            if built.sourceModifiedTime > 0 { receipt.sourceModifiedTime = built.sourceModifiedTime }
            // brew writes the loaded tab back with every field it does not reset (`HEAD`,
            // `built_on.glibc_version`, …): keep the ones pour does not model too.
            receipt.extra = built.extra
        }
        return receipt
    }

    /// Where brew would keep the formula's Ruby file: `Library/Taps/<user>/homebrew-<repo>/Formula/`.
    static func formulaPath(_ formula: Formula, layout: PrefixLayout) -> String? {
        let parts = formula.tap.split(separator: "/")
        guard parts.count == 2 else { return nil }
        return "\(layout.library)/Taps/\(parts[0])/homebrew-\(parts[1])/Formula/\(formula.name).rb"
    }

    // MARK: Disk

    /// Reads the receipt inside `kegPath`; nil when the keg has none.
    package static func read(kegPath: String) throws(KegError) -> InstallReceipt? {
        let path = kegPath + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            if PosixFS.kind(path) == .missing { return nil }
            throw KegError.receiptUnreadable(path: path, reason: "cannot open the file")
        }
        do {
            return try JSONDecoder().decode(InstallReceipt.self, from: data)
        } catch {
            throw KegError.receiptUnreadable(path: path, reason: "invalid JSON (\(error.localizedDescription))")
        }
    }

    /// The JSON text brew-style (pretty, brew's key order; `ReceiptJSONWriter`).
    package func jsonData() throws(KegError) -> Data {
        if let bytes = ReceiptJSONWriter.data(for: self) { return Data(bytes) }
        return try jsonDataWithEncoder()
    }

    /// The JSON text by `JSONEncoder` (for a receipt `ReceiptJSONWriter` leaves to it, and the
    /// reference it is tested against).
    package func jsonDataWithEncoder() throws(KegError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
        do { return try encoder.encode(self) } catch {
            throw KegError.filesystem(package: nil, operation: "encode receipt", path: "", errno: EINVAL)
        }
    }

    /// Writes the receipt into `kegPath` atomically: a temp file in the same directory, fsync,
    /// rename over the old one. A crash leaves either the old or the new receipt, never half.
    ///
    /// - Parameter durable: fsync the file and directory (default). Pass false for a keg still in
    ///   staging: its commit makes it visible, and a fsync per receipt would dominate installs of
    ///   many small bottles.
    package func write(kegPath: String, package: String? = nil, durable: Bool = true) throws(KegError) {
        let data = try jsonData()
        let path = kegPath + "/" + Self.fileName
        // The temp file is created O_CREAT|O_EXCL|O_NOFOLLOW under a random name pour chooses, and
        // renamed over the receipt: a bottle that ships links at any name cannot redirect the write.
        do throws(ContainmentError) {
            let keg = try BeneathRoot(path: kegPath, refuseLinkAtRoot: true)
            try keg.replaceFile(Self.fileName, mode: 0o644 & ~ProcessUmask.value, durable: durable) { fd in
                data.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let n = posixWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                        if n < 0 { if errno == EINTR { continue }; return errno }
                        offset += n
                    }
                    return 0
                }
            }
        } catch {
            throw KegError.system("write", path, package: package, errno: error.code)
        }
    }
}

/// `write(2)` under a name that does not collide with the receipt's `write` method.
@inline(__always)
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        return Glibc.write(fd, buffer, count)
    #else
        return Darwin.write(fd, buffer, count)
    #endif
}
