import Foundation

/// A snapshot of what is installed in one prefix, read from the Cellar, the receipts and the
/// `opt`, `var/homebrew/linked` and `var/homebrew/pinned` symlinks — the same places brew reads,
/// and nothing else, so pour and brew can never disagree about what is installed.
///
/// Immutable value; safe to share across queues. `read` blocks on the disk: call it off any I/O
/// thread. It is a snapshot: read it again after changing the prefix.
public struct PrefixInventory: Sendable {
    public let layout: InstallConfiguration.PrefixLayout
    /// Every formula with at least one keg directory, sorted by name.
    public let formulae: [InstalledFormula]

    public init(layout: InstallConfiguration.PrefixLayout, formulae: [InstalledFormula]) {
        self.layout = layout
        self.formulae = formulae
    }

    /// `var/homebrew/pinned`: brew's pin records.
    public static func pinDirectory(_ layout: InstallConfiguration.PrefixLayout) -> String { layout.prefix + "/var/homebrew/pinned" }

    public static func read(layout: InstallConfiguration.PrefixLayout) -> PrefixInventory {
        let cellar = Cellar(layout: layout)
        let formulae = cellar.rackNames().compactMap { name -> InstalledFormula? in
            let all = cellar.kegs(name: name).map { keg in readKeg(name: name, pkgVersion: keg.pkgVersion, path: keg.path) }
            guard !all.isEmpty else { return nil }
            let sorted = all.sorted { VersionOrder.less($0.pkgVersion, $1.pkgVersion) }
            return InstalledFormula(
                name: name, kegs: sorted.filter { $0.receipt != nil },
                incompleteKegs: sorted.filter { $0.receipt == nil },
                linkedVersion: cellar.linkedVersion(of: name), optVersion: cellar.optVersion(of: name),
                pinnedVersion: pinnedVersion(layout: layout, name: name))
        }
        return PrefixInventory(layout: layout, formulae: formulae)
    }

    /// Formulae with at least one complete (receipted) keg.
    public var installed: [InstalledFormula] { formulae.filter { !$0.kegs.isEmpty } }

    public func formula(named name: String) -> InstalledFormula? { formulae.first { $0.name == name } }

    /// Finds the installed formula a user means: its name, `homebrew/core/<name>`, or an alias
    /// (an `opt/<alias>` link into some rack, as brew makes them).
    public func resolve(_ query: String) throws(LifecycleError) -> InstalledFormula {
        let name = InstalledKeg.shortName(query)
        if let formula = formula(named: name), !formula.kegs.isEmpty { return formula }
        if let target = PosixFS.resolvedLink(layout.opt + "/" + name) {
            if let below = PathComponents.relative(target, below: PosixFS.normalize(layout.cellar)),
               let rack = PathComponents.split(below).first,
               let formula = formula(named: String(rack)), !formula.kegs.isEmpty {
                return formula
            }
        }
        throw LifecycleError.notInstalled(name: name)
    }

    /// The one keg a command on `formula` acts on, as brew's `to_kegs` picks it: the linked one,
    /// else the opt one, else the only one; several unlinked kegs are ambiguous.
    public func selectedKeg(of formula: InstalledFormula) throws(LifecycleError) -> InstalledFormula.InstalledKeg {
        for version in [formula.linkedVersion, formula.optVersion].compactMap({ $0 }) {
            if let keg = formula.kegs.first(where: { $0.pkgVersion == version }) { return keg }
        }
        if formula.kegs.count == 1 { return formula.kegs[0] }
        if formula.kegs.isEmpty { throw LifecycleError.notInstalled(name: formula.name) }
        throw LifecycleError.ambiguousKeg(name: formula.name, versions: formula.versions)
    }

    // MARK: Reading

    static func readKeg(name: String, pkgVersion: String, path: String) -> InstalledKeg {
        var keg = InstalledKeg(name: name, pkgVersion: pkgVersion, path: path, receipt: nil, intent: .unknown,
                               receiptProblem: nil)
        let file = path + "/" + InstallReceipt.fileName
        guard PosixFS.kind(file) == .file else { return keg }
        guard let data = FileManager.default.contents(atPath: file) else {
            keg.receiptProblem = "cannot open \(file)"
            return keg
        }
        do {
            keg.receipt = try JSONDecoder().decode(InstallReceipt.self, from: data)
            let probe = try JSONDecoder().decode(IntentProbe.self, from: data)
            switch probe.installedOnRequest {
            case true?: keg.intent = .onRequest
            case false?: keg.intent = .dependency
            case nil: keg.intent = .unknown
            }
        } catch {
            keg.receiptProblem = "\(file) is not valid JSON"
        }
        return keg
    }

    /// Reads only whether `installed_on_request` is present (and its value): `InstallReceipt`
    /// folds "absent" into false, but brew's autoremove treats the two differently.
    private struct IntentProbe: Decodable {
        var installedOnRequest: Bool?
        enum CodingKeys: String, CodingKey { case installedOnRequest = "installed_on_request" }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            installedOnRequest = (try? c.decodeIfPresent(Bool.self, forKey: .installedOnRequest)) ?? nil
        }
    }

    static func pinnedVersion(layout: PrefixLayout, name: String) -> String? {
        guard let target = PosixFS.resolvedLink(pinDirectory(layout) + "/" + name) else { return nil }
        // On bytes (`PathComponents.relative`), as the rest of the containment checks.
        let rack = PosixFS.normalize(layout.cellar + "/" + name)
        guard let version = PathComponents.relative(target, below: rack).map(String.init) else { return nil }
        return version.isEmpty || PathComponents.hasSlash(version) ? nil : version
    }
}
