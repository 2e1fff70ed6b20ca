import Foundation

/// The blocking half of installing one bottle, run on the extraction queue: extract into the run's
/// staging directory, replace text placeholders, and write the receipt — so that what is later
/// renamed into the Cellar is a complete keg.
///
/// Immutable value; each run works on its own staging subdirectory, so many run concurrently.
struct KegPreparation: Sendable {
    let configuration: InstallConfiguration
    let formula: Formula
    let bottle: Bottle
    let requested: Bool
    let runtimeClosure: [Formula]
    /// The registry manifest, when fetched: its tab's `changed_files` guide relocation when the
    /// bottle has no receipt, and its build facts (compiler, built_on, arch, source time) go into ours.
    let manifest: BottleManifest?
    let bottlePath: String
    let stagingRoot: String
    let cancellation: CancellationFlag

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
        let changedFiles: [String]
        do throws(UnpackError) {
            let placeholders = Placeholders(layout: configuration.layout,
                                            runtimeDependencies: runtimeClosure.map(\.name))
            changedFiles = try TextRelocator.relocate(kegAt: keg.kegPath, placeholders: placeholders,
                                                      changedFiles: keg.receiptChangedFiles ?? manifest?.changedFiles,
                                                      cancellation: cancellation)
        } catch {
            return .failure(.unpack(error))
        }
        var binaryChanged: [String] = []
        if bottle.cellar == .any && configuration.bottleTag.isLinux {
            // `:any` bottles carry placeholders in ELF interpreters and RUNPATHs too.
            do throws(RelocationError) {
                binaryChanged = try BinaryRelocator.relocate(kegAt: keg.kegPath, layout: configuration.layout,
                                                             cancellation: cancellation)
            } catch {
                if case .cancelled = error { return .failure(.unpack(.cancelled(package: formula.name))) }
                return .failure(.relocate(error))
            }
        }
        if cancellation.isCancelled { return .failure(.unpack(.cancelled(package: formula.name))) }
        let directDependencies = Set(formula.dependencies)
        var receipt = InstallReceipt.poured(
            formula: formula, installedOnRequest: requested,
            runtimeDependencies: runtimeClosure.map { .init($0, declaredDirectly: directDependencies.contains($0.name)) },
            changedFiles: Array(Set(changedFiles + binaryChanged)).sorted(), layout: configuration.layout)
        if let tab = manifest?.tabJSON, let built = try? JSONDecoder().decode(InstallReceipt.self, from: Data(tab.utf8)) {
            // What the bottle was built with is the builder's knowledge, not ours.
            receipt.compiler = built.compiler ?? receipt.compiler
            receipt.builtOn = built.builtOn ?? receipt.builtOn
            receipt.arch = built.arch ?? receipt.arch
            if built.sourceModifiedTime > 0 { receipt.sourceModifiedTime = built.sourceModifiedTime }
        }
        do throws(KegError) {
            try receipt.write(kegPath: keg.kegPath, package: formula.name, durable: false)
        } catch {
            return .failure(.keg(error))
        }
        return .success(keg)
    }
}
