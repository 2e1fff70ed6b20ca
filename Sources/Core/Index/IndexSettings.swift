import Foundation

/// How pour keeps and trusts its formula index.
///
/// Immutable value; safe to share across queues.
package struct IndexSettings: Sendable, Equatable {
    /// An index checked against the API less than this many seconds ago is used without asking
    /// (`POUR_INDEX_MAX_AGE`, default 24 h: the catalogue is ~30 MB, unlike brew's per-formula
    /// 450 s files, and a 304 costs one round trip anyway).
    package var maxAge: Double
    /// Refresh a missing or stale index before installing (`POUR_NO_AUTO_UPDATE` /
    /// `HOMEBREW_NO_AUTO_UPDATE` turn it off; an existing index is then used whatever its age).
    package var autoUpdate: Bool
    /// Accept an unsigned `formula.json` from a remote host (`--insecure-unsigned`,
    /// `POUR_ALLOW_UNSIGNED_API=1`). Local files and loopback are always allowed.
    package var allowUnsigned: Bool
    /// A PEM public key replacing Homebrew's `homebrew-1` key (`POUR_API_PUBLIC_KEY`).
    package var publicKeyPath: String?
    /// The `kid` of the signature made with that key (`POUR_API_PUBLIC_KEY_ID`); nil tries every
    /// signature entry. Homebrew's own key is always `homebrew-1`.
    package var publicKeyID: String?

    package init(maxAge: Double = 86_400, autoUpdate: Bool = true, allowUnsigned: Bool = false,
                publicKeyPath: String? = nil) {
        self.maxAge = maxAge
        self.autoUpdate = autoUpdate
        self.allowUnsigned = allowUnsigned
        self.publicKeyPath = publicKeyPath
    }

    package static func fromEnvironment(_ environment: [String: String]) -> IndexSettings {
        func value(_ key: String) -> String? {
            guard let v = environment[key], !v.isEmpty else { return nil }
            return v
        }
        var settings = IndexSettings()
        // An explicit brew setting applies to the catalogue as it does in brew; pour's own wins.
        if let age = value("HOMEBREW_API_AUTO_UPDATE_SECS").flatMap(Double.init) { settings.maxAge = age }
        if let age = value("POUR_INDEX_MAX_AGE").flatMap(Double.init) { settings.maxAge = age }
        if value("POUR_NO_AUTO_UPDATE") != nil || value("HOMEBREW_NO_AUTO_UPDATE") != nil { settings.autoUpdate = false }
        if let flag = value("POUR_ALLOW_UNSIGNED_API") { settings.allowUnsigned = flag != "0" }
        settings.publicKeyPath = value("POUR_API_PUBLIC_KEY")
        settings.publicKeyID = value("POUR_API_PUBLIC_KEY_ID")
        return settings
    }

    /// `<cache>/api/pour-index.<tag>.sqlite`: one index per bottle tag, beside brew's API cache.
    package static func indexPath(layout: PrefixLayout, tag: BottleTag) -> String {
        "\(layout.api)/pour-index.\(tag.rawValue).sqlite"
    }

    /// Touched on every successful check (200 or 304), so a 304 leaves the index file alone
    /// while still restarting the freshness clock.
    package static func stampPath(indexPath: String) -> String { indexPath + ".checked" }

    /// True when the index exists and was checked less than `maxAge` seconds ago. An
    /// `apiMaxAge` of zero (or less) asks for every API file to be revalidated, the catalogue
    /// included; revalidating an unchanged catalogue costs one 304.
    package func isFresh(indexPath: String, apiMaxAge: Double = .infinity) -> Bool {
        guard apiMaxAge > 0, let built = IndexSettings.modificationTime(indexPath) else { return false }
        let checked = IndexSettings.modificationTime(IndexSettings.stampPath(indexPath: indexPath)) ?? built
        return Date().timeIntervalSince1970 - checked < maxAge
    }

    /// Seconds since the epoch of the last change of `path`, or nil when it does not exist.
    static func modificationTime(_ path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if os(Linux)
            return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        #else
            return Double(info.st_mtimespec.tv_sec) + Double(info.st_mtimespec.tv_nsec) / 1e9
        #endif
    }

    /// Restarts the freshness clock without touching the index itself.
    static func touchStamp(indexPath: String) {
        let path = stampPath(indexPath: indexPath)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if descriptor >= 0 { close(descriptor) }
        utimes(path, nil)
    }
}
