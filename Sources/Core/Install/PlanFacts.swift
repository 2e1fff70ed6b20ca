import Foundation

/// Everything `InstallRun` needs to plan that costs disk reads or CPU: the resolved closure,
/// each formula's runtime closure, which kegs are already installed (and whose activation was
/// interrupted), and which bottles are already in the cache.
///
/// Gathered on a utility queue by `gather` and hopped back to the run queue, so the run queue
/// never blocks on the filesystem (issue #14, item 6).
///
/// Thread-safety: an immutable value; safe to share across queues.
struct PlanFacts: Sendable {
    struct Item: Sendable {
        var resolved: ResolvedFormula
        /// Computed when the receipt is written, not here: every closure at once is quadratic in
        /// memory on a deep chain (see KegPreparation).
        /// Called with the item's formula; the same function for every item (no per-item
        /// context holding a copy of the formula).
        var runtimeClosure: @Sendable (Formula) -> [Formula]
        /// Installed (and not left half-activated by a kill): reported, not installed again.
        var installed: Bool
        /// A final-named (hence verified) bottle is already in the cache.
        var cached: Bool
    }

    var items: [Item]

    /// Blocking (stat calls per formula); run it off the run queue.
    static func gather(catalog: FormulaCatalog, names: [String],
                       layout: PrefixLayout) -> Result<PlanFacts, InstallError> {
        let resolver = DependencyResolver(catalog: catalog)
        let resolved: [ResolvedFormula]
        do {
            resolved = try resolver.resolve(names.map(FormulaFetcher.canonicalRequestName))
        } catch {
            return .failure(.resolve(error))
        }
        let cellar = Cellar(layout: layout)
        let runtimeClosure: @Sendable (Formula) -> [Formula] = { (try? resolver.runtimeClosure(of: $0)) ?? [] }
        let items = resolved.map { item -> Item in
            let formula = item.formula
            let installed = cellar.isInstalled(name: formula.name, pkgVersion: formula.pkgVersion)
                && !KegActivation.wasInterrupted(name: formula.name, layout: layout)
            let cached = formula.bottle.map { bottle in
                FileManager.default.fileExists(atPath: DownloadCache.bottlePath(layout: layout, formula: formula, bottle: bottle))
            } ?? false
            return Item(resolved: item, runtimeClosure: runtimeClosure,
                        installed: installed, cached: cached)
        }
        return .success(PlanFacts(items: items))
    }
}
