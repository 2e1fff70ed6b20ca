import Foundation

/// The part of an install that changes what users see, run on the serial link queue: rename
/// staged kegs into the Cellar, install their `.bottle/etc|var` files, then switch the links.
///
/// Kegs ready at the same moment are activated as one batch: all renamed, one round of rack
/// fsyncs (a single journal commit instead of one per keg — fsync costs ~5–10 ms on this kind of
/// disk, which dominated installs of many small bottles), then linked in dependency order.
///
/// Upgrades: when another version of a formula is linked, the new keg is committed first (the old
/// one keeps working meanwhile), then the old links are removed and the new ones made; if linking
/// the new keg fails, the old version is linked again and the new keg removed. So a package is
/// always either fully on its old version or fully on its new one, never a mix.
enum KegActivation {
    typealias Outcome = Result<(kegPath: String, links: Int, postInstall: PostInstallOutcome?), PackageFailure>

    /// `<prefix>/var/homebrew/tmp/.pour-activating/<name>` exists while the keg of `name` is
    /// being committed and linked. A process killed in that window (SIGKILL, power loss) leaves
    /// a keg with its receipt but without all of its links, which the disk alone would call
    /// "installed"; the marker tells the next run (holding the prefix lock) to activate it again.
    static func interruptedMarker(name: String, layout: PrefixLayout) -> String {
        PathComponents.deletingLastComponent(layout.staging) + "/.pour-activating/" + name
    }

    /// True when an earlier activation of `name` never finished (see `interruptedMarker`).
    static func wasInterrupted(name: String, layout: PrefixLayout) -> Bool {
        FileManager.default.fileExists(atPath: interruptedMarker(name: name, layout: layout))
    }

    static func activate(_ formulae: [Formula], layout: PrefixLayout, stagingRoot: String, link: Bool,
                         unlinked: Set<String> = []) -> [Outcome] {
        let markers = formulae.map { interruptedMarker(name: $0.name, layout: layout) }
        // Created and removed through real directories only (StatePaths): a link planted at
        // `.pour-activating` is refused, never written through.
        let markerDirectory = markers.first.flatMap {
            try? StatePaths.directory(PathComponents.deletingLastComponent($0), layout: layout)
        }
        for formula in formulae {
            if let fd = try? markerDirectory?.createExclusive(formula.name) { close(fd) }
        }
        // Removed once every outcome is settled (success or a rolled-back failure); only a kill
        // in between leaves them.
        defer { for formula in formulae { try? markerDirectory?.remove(formula.name) } }
        let committer = KegCommitter(layout: layout, stagingRoot: stagingRoot)
        let cellar = Cellar(layout: layout)
        var committed: [(formula: Formula, kegPath: String, previous: String?, previousWasLinked: Bool)?] = []
        var outcomes: [Outcome?] = []
        for formula in formulae {
            let previous = cellar.activeVersion(of: formula.name).flatMap { $0 == formula.pkgVersion ? nil : $0 }
            let previousWasLinked = previous != nil && cellar.linkedVersion(of: formula.name) != nil
            do throws(KegError) {
                let kegPath = try committer.commit(name: formula.name, pkgVersion: formula.pkgVersion, durable: false)
                do {
                    try BottleEtcVar.install(kegPath: kegPath, layout: layout, package: formula.name)
                } catch {
                    KegRollback.removeCommitted(kegPath: kegPath, name: formula.name, layout: layout)
                    throw error
                }
                committed.append((formula, kegPath, previous, previousWasLinked))
                outcomes.append(nil)
            } catch {
                committed.append(nil)
                outcomes.append(.failure(.keg(error)))
            }
        }
        committer.syncRacks(committed.compactMap { $0?.formula.name })
        let linker = KegLinker(layout: layout)
        for (index, entry) in committed.enumerated() {
            guard let entry else { continue }
            let formula = entry.formula
            do throws(KegError) {
                if let previous = entry.previous { try linker.unlink(name: formula.name, pkgVersion: previous) }
                let report = try linker.link(name: formula.name, pkgVersion: formula.pkgVersion,
                                             kegOnly: formula.kegOnly || !link || unlinked.contains(formula.name), aliases: formula.aliases,
                                             linkOverwrite: formula.linkOverwrite)
                // After pour and link, as brew's `formula_installer.rb#finish` runs post_install.
                let postInstall = formula.postInstallDefined
                    ? PostInstallRunner.run(name: formula.name, version: formula.version, kegPath: entry.kegPath, layout: layout) : nil
                outcomes[index] = .success((entry.kegPath, report.linksCreated, postInstall))
            } catch {
                KegRollback.removeCommitted(kegPath: entry.kegPath, name: formula.name, layout: layout)
                if let previous = entry.previous {
                    // Put the old version back exactly as it was linked before.
                    _ = try? linker.link(name: formula.name, pkgVersion: previous, kegOnly: !entry.previousWasLinked,
                                         aliases: formula.aliases, linkOverwrite: formula.linkOverwrite)
                }
                outcomes[index] = .failure(.keg(error))
            }
        }
        // Every index was set above: by the commit failure or by the link step.
        return zip(formulae, outcomes).map { formula, outcome in outcome ?? .failure(.keg(.cancelled(package: formula.name))) }
    }
}
