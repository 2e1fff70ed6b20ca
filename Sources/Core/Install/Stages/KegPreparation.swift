import Foundation

/// The blocking half of installing one bottle, run on the extraction queue: extract into the run's
/// staging directory, relocate it as `formula_installer.rb#pour` does (see `RelocationPlan`), and
/// write the receipt — so that what is later renamed into the Cellar is a complete keg.
///
/// A streamed bottle (`StreamingExtraction`) runs the same stages in two steps: `extractStreamed`
/// while the download still writes the file, then `complete` once the download has verified it.
///
/// Immutable once started (`warn` is set before `run`); each run works on its own staging
/// subdirectory, so many run concurrently.
struct KegPreparation: Sendable {
    let configuration: InstallConfiguration
    let formula: Formula
    let bottle: Bottle
    let requested: Bool
    /// Computed on the extraction queue when needed (see `PackageJob.runtimeClosure`).
    let runtimeClosure: @Sendable (Formula) -> [Formula]
    /// The registry manifest, when fetched: its tab (`sh.brew.tab`) is the bottle's tab, ahead of the
    /// bottle's own receipt (`BottleTab`); it decides relocation and fills the receipt's build facts.
    let manifest: BottleManifest?
    let bottlePath: String
    let stagingRoot: String
    let cancellation: CancellationFlag
    /// Receives one-line warnings for the user (called on the extraction queue; hop as needed).
    var warn: @Sendable (String) -> Void = { _ in }

    func run() -> Result<ExtractedKeg, PackageFailure> {
        discardingOnFailure {
            if let mismatch = sizeMismatch() { return .failure(mismatch) }
            let keg: ExtractedKeg
            do throws(UnpackError) {
                keg = try BottleExtractor.extract(bottleAt: bottlePath, name: formula.name, pkgVersion: formula.pkgVersion,
                                                  into: stagingRoot,
                                                  limits: configuration.extractionLimits.capped(installedSize: manifest?.installedSize),
                                                  cancellation: cancellation)
            } catch {
                return .failure(.unpack(error))
            }
            return relocateAndReceipt(keg)
        }
    }

    /// The extraction step of a streamed bottle: follows `file` (the download's `.incomplete`, named
    /// `bottlePath` here) into staging. Nothing of it may be committed before `complete`.
    func extractStreamed(from file: GrowingFile) -> Result<ExtractedKeg, PackageFailure> {
        discardingOnFailure {
            do throws(UnpackError) {
                return .success(try BottleExtractor.extract(
                    growing: file, path: bottlePath, name: formula.name, pkgVersion: formula.pkgVersion, into: stagingRoot,
                    limits: configuration.extractionLimits.capped(installedSize: manifest?.installedSize),
                    cancellation: cancellation))
            } catch {
                return .failure(.unpack(error))
            }
        }
    }

    /// The rest of a streamed bottle, once its download verified it (`bottlePath` is now the
    /// verified cache file, `manifest` what is known now): the checks a manifest that arrived after
    /// the extraction began could not make up front (bottle size, installed-size cap), then
    /// relocation and the receipt.
    func complete(_ keg: ExtractedKeg) -> Result<ExtractedKeg, PackageFailure> {
        discardingOnFailure {
            if let mismatch = sizeMismatch() { return .failure(mismatch) }
            let cap = configuration.extractionLimits.capped(installedSize: manifest?.installedSize).maxTotalBytes
            if keg.totalBytes > cap {
                return .failure(.unpack(.sizeLimitExceeded(package: "\(formula.name) \(formula.pkgVersion)",
                                                           entry: "(the whole keg)", limitBytes: cap)))
            }
            return relocateAndReceipt(keg)
        }
    }

    /// Leaves nothing of this package behind in staging when `body` fails.
    private func discardingOnFailure(_ body: () -> Result<ExtractedKeg, PackageFailure>) -> Result<ExtractedKeg, PackageFailure> {
        let result = body()
        if case .failure = result {
            try? StatePaths.remove("\(stagingRoot)/\(formula.name)", layout: configuration.layout)
        }
        return result
    }

    /// The manifest may have arrived after the download began (downloads never wait for it), so
    /// the transfer could not check the length; the bottle is checked here instead, whenever the
    /// manifest is known by now.
    private func sizeMismatch() -> PackageFailure? {
        if let expected = manifest?.size {
            var info = stat()
            if stat(bottlePath, &info) == 0, Int64(info.st_size) != expected {
                let url = configuration.endpoints.sources(for: formula, bottle: bottle).first?.url ?? bottlePath
                return .download(.sizeMismatch(package: formula.name, expected: expected,
                                               actual: Int64(info.st_size), url: url))
            }
        }
        return nil
    }

    private func relocateAndReceipt(_ keg: ExtractedKeg) -> Result<ExtractedKeg, PackageFailure> {
        let runtimeClosure = self.runtimeClosure(formula)
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
                                                      changedFiles: plan.textFiles, cancellation: cancellation,
                                                      kegPathIsReal: true)
        } catch {
            return .failure(.unpack(error))
        }
        var binaryChanged: [String] = []
        // A keg where no file began with the ELF magic has nothing `BinaryRelocator` could patch.
        if plan.binaries && keg.mayHoldELF {
            // Every cellar kind, pinned included (formula_installer.rb#pour).
            do throws(RelocationError) {
                binaryChanged = try BinaryRelocator.relocate(kegAt: keg.kegPath, layout: configuration.layout,
                                                             cancellation: cancellation, kegPathIsReal: true)
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
