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
        guard PathComponents.isBelow(bottlePath, layout.downloads), bottlePath.hasSuffix(".tar.gz") else { return nil }
        return bottlePath + ".tab.json"
    }

    /// The manifest tab to use for the bottle at `bottlePath`: `fetched` (then remembered beside
    /// the cached bottle, best effort) or, when none was fetched, the remembered one.
    package static func publishedTab(fetched: String?, bottlePath: String, layout: PrefixLayout) -> String? {
        guard let sidecar = sidecarPath(forBottleAt: bottlePath, layout: layout) else { return fetched }
        if let fetched {
            // Written and renamed into place, not fsynced: a cache hint, re-fetched with the next
            // manifest; after a power cut an empty or missing sidecar only means the bottle's own
            // receipt is used (`load`). (`FileManager.createFile` added a second temporary file, a
            // second rename and an fsync per package: Docs/Performance.md, "third pass".)
            // A fresh name, created exclusively: nothing planted under it is followed or reused.
            let temporary = sidecar + ".\(getpid())-\(UInt32.random(in: 0 ... .max)).tmp"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd >= 0 {
                var text = fetched
                let failed = text.withUTF8 { PosixFS.writeAll(fd, UnsafeRawBufferPointer($0)) }
                close(fd)
                if failed != nil || rename(temporary, sidecar) != 0 { unlink(temporary) }
            }
            return fetched
        }
        var info = stat()
        guard lstat(sidecar, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) <= maxBytes,
              let data = FileManager.default.contents(atPath: sidecar) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The tab in `data` (a JSON object), nil otherwise. One parse: the two fields relocation
    /// needs and the lenient receipt come from the same decoder (a `JSONSerialization` pass for
    /// the fields plus a `JSONDecoder` pass for the receipt cost 2.5 % of a tiny-bottle install).
    ///
    /// A plain document is read by `InstallReceipt.readTab` (the same result without
    /// `JSONDecoder`: Docs/Performance.md, "Fourth pass"); any other by `parseWithDecoder`.
    static func parse(_ data: Data) -> BottleTab? {
        if let read = InstallReceipt.readTab(data) {
            return BottleTab(homebrewVersion: read.receipt.homebrewVersion, changedFiles: read.changedFileStrings,
                             receipt: read.receipt)
        }
        return parseWithDecoder(data)
    }

    /// `parse` by `JSONDecoder` alone (the reference `readTab` is tested against).
    static func parseWithDecoder(_ data: Data) -> BottleTab? {
        (try? JSONDecoder().decode(Document.self, from: data))?.tab
    }

    /// A tab document: `homebrew_version` when it is a string, `changed_files` when it is an
    /// array (its string elements; others are ignored), the receipt when it decodes.
    private struct Document: Decodable {
        enum Key: String, CodingKey {
            case homebrewVersion = "homebrew_version"
            case changedFiles = "changed_files"
        }

        /// One `changed_files` element: its text when it is a string.
        struct Element: Decodable {
            let text: String?
            init(from decoder: Decoder) throws {
                text = try? decoder.singleValueContainer().decode(String.self)
            }
        }

        let tab: BottleTab

        init(from decoder: Decoder) throws {
            let fields = try decoder.container(keyedBy: Key.self)  // throws unless an object
            let version = (try? fields.decodeIfPresent(String.self, forKey: .homebrewVersion)) ?? nil
            let changed = (try? fields.decodeIfPresent([Element].self, forKey: .changedFiles)) ?? nil
            tab = BottleTab(homebrewVersion: version, changedFiles: changed.map { $0.compactMap(\.text) },
                            receipt: try? InstallReceipt(from: decoder))
        }
    }
}
