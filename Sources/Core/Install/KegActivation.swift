import Foundation

/// The part of an install that changes what users see, run on the serial link queue: rename the
/// staged keg into the Cellar, install its `.bottle/etc|var` files, then switch the links to it.
///
/// Upgrades: when another version of the formula is linked, the new keg is committed first (the
/// old one keeps working meanwhile), then the old links are removed and the new ones made; if
/// linking the new keg fails, the old version is linked again and the new keg removed. So a
/// package is always either fully on its old version or fully on its new one, never a mix.
enum KegActivation {
    /// `<prefix>/var/homebrew/tmp/.pour-activating/<name>` exists while the keg of `name` is
    /// being committed and linked. A process killed in that window (SIGKILL, power loss) leaves
    /// a keg with its receipt but without all of its links, which the disk alone would call
    /// "installed"; the marker tells the next run (holding the prefix lock) to activate it again.
    static func interruptedMarker(name: String, layout: PrefixLayout) -> String {
        (layout.staging as NSString).deletingLastPathComponent + "/.pour-activating/" + name
    }

    /// True when an earlier activation of `name` never finished (see `interruptedMarker`).
    static func wasInterrupted(name: String, layout: PrefixLayout) -> Bool {
        FileManager.default.fileExists(atPath: interruptedMarker(name: name, layout: layout))
    }

    static func commitAndLink(formula: Formula, layout: PrefixLayout, stagingRoot: String, link: Bool)
        -> Result<(kegPath: String, links: Int), PackageFailure> {
        let marker = interruptedMarker(name: formula.name, layout: layout)
        try? FileManager.default.createDirectory(atPath: (marker as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: marker, contents: nil)
        // Removed on every outcome that finishes normally (success or a rolled-back failure).
        defer { unlink(marker) }
        let committer = KegCommitter(layout: layout, stagingRoot: stagingRoot)
        let cellar = Cellar(layout: layout)
        let previous = cellar.activeVersion(of: formula.name).flatMap { $0 == formula.pkgVersion ? nil : $0 }
        let previousWasLinked = previous != nil && cellar.linkedVersion(of: formula.name) != nil
        let kegPath: String
        do throws(KegError) {
            kegPath = try committer.commit(name: formula.name, pkgVersion: formula.pkgVersion)
            try BottleEtcVar.install(kegPath: kegPath, layout: layout, package: formula.name)
        } catch {
            return .failure(.keg(error))
        }
        let linker = KegLinker(layout: layout)
        do throws(KegError) {
            if let previous { try linker.unlink(name: formula.name, pkgVersion: previous) }
            let report = try linker.link(name: formula.name, pkgVersion: formula.pkgVersion,
                                         kegOnly: formula.kegOnly || !link, aliases: formula.aliases,
                                         linkOverwrite: formula.linkOverwrite)
            return .success((kegPath, report.linksCreated))
        } catch {
            try? FileManager.default.removeItem(atPath: kegPath)
            if let previous {
                // Put the old version back exactly as it was linked before.
                _ = try? linker.link(name: formula.name, pkgVersion: previous, kegOnly: !previousWasLinked,
                                     aliases: formula.aliases, linkOverwrite: formula.linkOverwrite)
            }
            return .failure(.keg(error))
        }
    }
}
