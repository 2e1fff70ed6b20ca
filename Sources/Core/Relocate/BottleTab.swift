import Foundation

/// The tab a bottle was built with, as brew loads it when pouring
/// (`Library/Homebrew/utils/bottles.rb#load_tab`): the registry manifest's `sh.brew.tab` when it
/// was published, otherwise the `INSTALL_RECEIPT.json` shipped inside the bottle; nil when
/// neither exists (homebrew-core bottles fetched from a flat mirror).
///
/// Immutable value; safe to share across queues.
package struct BottleTab: Sendable, Equatable {
    /// `homebrew_version`: the brew that built the bottle; decides whether `:any_skip_relocation`
    /// can be trusted on Linux (see `RelocationPlan`).
    package var homebrewVersion: String?
    /// `changed_files`: keg-relative files holding placeholders; nil when the tab does not say.
    package var changedFiles: [String]?
    /// The whole tab decoded leniently, for the build facts copied into pour's receipt.
    package var receipt: InstallReceipt?

    package init(homebrewVersion: String?, changedFiles: [String]?, receipt: InstallReceipt? = nil) {
        self.homebrewVersion = homebrewVersion
        self.changedFiles = changedFiles
        self.receipt = receipt
    }

    /// Receipts are a few KB; a larger one is not trusted (same cap as the extractor's).
    static let maxBytes = 16 << 20

    /// The tab from `manifestTab` (the `sh.brew.tab` text) or the receipt at `receiptPath`.
    /// A manifest tab that parses always wins: brew's `load_tab` checks its `built_on.os` only to
    /// decide whether to recompute runtime dependencies, not whether to use it.
    package static func load(manifestTab: String?, receiptPath: String?) -> BottleTab? {
        if let manifestTab, let tab = parse(Data(manifestTab.utf8)) { return tab }
        guard let receiptPath else { return nil }
        var info = stat()
        guard lstat(receiptPath, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) <= maxBytes,
              let data = FileManager.default.contents(atPath: receiptPath) else { return nil }
        return parse(data)
    }

    /// Where the published tab of a cached bottle is remembered: beside it in `<cache>/downloads`
    /// (brew caches the manifest there too), so a later pour from the cache, which fetches no
    /// manifest, loads the same tab. nil for a bottle outside the download cache (a local file).
    /// The name does not parse as a cached bottle, so `cleanup` leaves it alone.
    package static func sidecarPath(forBottleAt bottlePath: String, layout: PrefixLayout) -> String? {
        guard bottlePath.hasPrefix(layout.downloads + "/"), bottlePath.hasSuffix(".tar.gz") else { return nil }
        return bottlePath + ".tab.json"
    }

    /// The manifest tab to use for the bottle at `bottlePath`: `fetched` (then remembered beside
    /// the cached bottle, best effort) or, when none was fetched, the remembered one.
    package static func publishedTab(fetched: String?, bottlePath: String, layout: PrefixLayout) -> String? {
        guard let sidecar = sidecarPath(forBottleAt: bottlePath, layout: layout) else { return fetched }
        if let fetched {
            let temporary = sidecar + ".\(getpid()).tmp"
            if FileManager.default.createFile(atPath: temporary, contents: Data(fetched.utf8)) {
                if rename(temporary, sidecar) != 0 { unlink(temporary) }
            }
            return fetched
        }
        var info = stat()
        guard lstat(sidecar, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) <= maxBytes,
              let data = FileManager.default.contents(atPath: sidecar) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func parse(_ data: Data) -> BottleTab? {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        let changed = (object["changed_files"] as? [Any]).map { $0.compactMap { $0 as? String } }
        return BottleTab(homebrewVersion: object["homebrew_version"] as? String, changedFiles: changed,
                         receipt: try? JSONDecoder().decode(InstallReceipt.self, from: data))
    }
}
