extension InstalledFormula {
    /// Why a keg is installed, as its receipt says. Homebrew distinguishes a missing
    /// `installed_on_request` from `false` (`Tab#installed_on_request_present?`): receipts from old
    /// brew versions lack the key, and `brew autoremove` never removes such a keg.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    public enum InstallIntent: String, Sendable, Hashable {
        case onRequest = "on_request"
        case dependency
        /// The receipt has no `installed_on_request` key.
        case unknown
    }
}

package typealias InstallIntent = InstalledFormula.InstallIntent

extension InstalledFormula {
    /// One keg directory `Cellar/<name>/<pkg_version>` and what its receipt says.
    ///
    /// Immutable value read from disk; safe to share across queues.
    public struct InstalledKeg: Sendable, Hashable {
        public var name: String
        public var pkgVersion: String
        public var path: String
        /// nil when the keg has no (readable) receipt: an interrupted install, or damage.
        package var receipt: InstallReceipt?
        public var intent: InstalledFormula.InstallIntent
        /// Why the receipt could not be read, when it exists but is not valid JSON.
        public var receiptProblem: String?

        /// Names of the formulae this keg needs at run time (`runtime_dependencies[].full_name`, with
        /// the `homebrew/core/` tap prefix dropped); nil when the receipt does not record them.
        public var runtimeDependencyNames: [String]? {
            guard let receipt else { return nil }
            // brew ignores runtime_dependencies written by brew < 1.1.6 (they were wrong), and a
            // receipt without homebrew_version reads as the oldest version (`Version::NULL`).
            guard let version = receipt.homebrewVersion, !VersionOrder.less(version, "1.1.6") else { return nil }
            return receipt.runtimeDependencies.map { $0.map { InstalledKeg.shortName($0.fullName) } }
        }

        public var pouredFromBottle: Bool { receipt?.pouredFromBottle ?? false }

        static func shortName(_ fullName: String) -> String {
            fullName.hasPrefix("homebrew/core/") ? String(fullName.dropFirst("homebrew/core/".count)) : fullName
        }
    }
}

package typealias InstalledKeg = InstalledFormula.InstalledKeg

/// One formula with a rack in the Cellar: its kegs and which one is in use.
///
/// Immutable value; safe to share across queues.
public struct InstalledFormula: Sendable, Hashable {
    public var name: String
    /// Kegs holding a receipt, oldest first.
    public var kegs: [InstalledFormula.InstalledKeg]
    /// Keg directories without a receipt (interrupted installs); not part of the installation.
    public var incompleteKegs: [InstalledFormula.InstalledKeg]
    /// The version `var/homebrew/linked/<name>` points at.
    public var linkedVersion: String?
    /// The version `opt/<name>` points at.
    public var optVersion: String?
    /// The version `var/homebrew/pinned/<name>` points at.
    public var pinnedVersion: String?

    /// The keg in use, as brew's `any_installed_keg` picks it: the opt-linked one, else the
    /// linked one, else the newest.
    public var activeKeg: InstalledFormula.InstalledKeg? {
        for version in [optVersion, linkedVersion].compactMap({ $0 }) {
            if let keg = kegs.first(where: { $0.pkgVersion == version }) { return keg }
        }
        return kegs.last
    }

    public var isPinned: Bool { pinnedVersion != nil }
    public var versions: [String] { kegs.map(\.pkgVersion) }
    public var intent: InstalledFormula.InstallIntent { activeKeg?.intent ?? .unknown }
}
