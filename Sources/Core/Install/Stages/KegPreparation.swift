import Foundation

/// The blocking half of installing one bottle, run on the extraction queue: extract into the run's
/// staging directory, relocate it as `formula_installer.rb#pour` does (see `RelocationPlan`), and
/// write the receipt — so that what is later renamed into the Cellar is a complete keg.
///
/// Immutable once started (`warn` is set before `run`); each run works on its own staging
/// subdirectory, so many run concurrently.
struct KegPreparation: Sendable {
    let configuration: InstallConfiguration
    let formula: Formula
    let bottle: Bottle
    let requested: Bool
    let runtimeClosure: [Formula]
    /// The registry manifest, when fetched: its tab (`sh.brew.tab`) is the bottle's tab, ahead of the
    /// bottle's own receipt (`BottleTab`); it decides relocation and fills the receipt's build facts.
    let manifest: BottleManifest?
    let bottlePath: String
    let stagingRoot: String
    let cancellation: CancellationFlag
    /// Receives one-line warnings for the user (called on the extraction queue; hop as needed).
    var warn: @Sendable (String) -> Void = { _ in }

    func run() -> Result<ExtractedKeg, PackageFailure> {
        let result = prepare()
        if case .failure = result {
            // Leave nothing of this package behind in staging.
            try? FileManager.default.removeItem(atPath: "\(stagingRoot)/\(formula.name)")
        }
        return result
    }

    private func prepare() -> Result<ExtractedKeg, PackageFailure> {
        let keg: ExtractedKeg
        do throws(UnpackError) {
            keg = try BottleExtractor.extract(bottleAt: bottlePath, name: formula.name, pkgVersion: formula.pkgVersion,
                                              into: stagingRoot, limits: configuration.extractionLimits,
                                              cancellation: cancellation)
        } catch {
            return .failure(.unpack(error))
        }
        // The tab brew would load (utils/bottles.rb#load_tab) decides what gets relocated.
        let published = BottleTab.publishedTab(fetched: manifest?.tabJSON, bottlePath: bottlePath,
                                               layout: configuration.layout)
        let tab = BottleTab.load(manifestTab: published,
                                 receiptPath: keg.hasReceipt ? keg.kegPath + "/" + InstallReceipt.fileName : nil)
        let plan = RelocationPlan.decide(cellar: bottle.cellar, tab: tab, linux: configuration.bottleTag.isLinux,
                                         customBottleDomain: configuration.endpoints.bottleDomainIsCustom,
                                         package: formula.name)
        if let warning = plan.warning { warn(warning) }
        let changedFiles: [String]
        do throws(UnpackError) {
            let placeholders = Placeholders(layout: configuration.layout,
                                            runtimeDependencies: runtimeClosure.map(\.name))
            changedFiles = try TextRelocator.relocate(kegAt: keg.kegPath, placeholders: placeholders,
                                                      changedFiles: plan.textFiles, cancellation: cancellation)
        } catch {
            return .failure(.unpack(error))
        }
        var binaryChanged: [String] = []
        if plan.binaries {
            // Every cellar kind, pinned included (formula_installer.rb#pour).
            do throws(RelocationError) {
                binaryChanged = try BinaryRelocator.relocate(kegAt: keg.kegPath, layout: configuration.layout,
                                                             cancellation: cancellation)
            } catch {
                if case .cancelled = error { return .failure(.unpack(.cancelled(package: formula.name))) }
                return .failure(.relocate(error))
            }
        }
        if cancellation.isCancelled { return .failure(.unpack(.cancelled(package: formula.name))) }
        let receipt = InstallReceipt.poured(
            formula: formula, installedOnRequest: requested, runtimeClosure: runtimeClosure, tab: tab,
            relocatedFiles: Array(Set(changedFiles + binaryChanged)).sorted(), layout: configuration.layout)
        do throws(KegError) {
            try receipt.write(kegPath: keg.kegPath, package: formula.name, durable: false)
        } catch {
            return .failure(.keg(error))
        }
        return .success(keg)
    }
}
