import Foundation

/// The part of an install that changes what users see, run on the serial link queue: rename the
/// staged keg into the Cellar, then link it. If linking fails, the keg is taken out of the Cellar
/// again, so a package is either installed and linked, or absent.
enum KegActivation {
    static func commitAndLink(formula: Formula, layout: PrefixLayout, stagingRoot: String, link: Bool)
        -> Result<(kegPath: String, links: Int), PackageFailure> {
        let committer = KegCommitter(layout: layout, stagingRoot: stagingRoot)
        let kegPath: String
        do throws(KegError) {
            kegPath = try committer.commit(name: formula.name, pkgVersion: formula.pkgVersion)
        } catch {
            return .failure(.keg(error))
        }
        do throws(KegError) {
            let report = try KegLinker(layout: layout).link(
                name: formula.name, pkgVersion: formula.pkgVersion, kegOnly: formula.kegOnly || !link,
                aliases: formula.aliases, linkOverwrite: formula.linkOverwrite)
            return .success((kegPath, report.linksCreated))
        } catch {
            try? FileManager.default.removeItem(atPath: kegPath)
            return .failure(.keg(error))
        }
    }
}
