import Foundation

/// What pouring one bottle relocates, decided as brew's `formula_installer.rb#pour` does:
///
/// - Text placeholders are always replaced: in the tab's `changed_files` when it lists them,
///   otherwise in every text file (`keg_relocate.rb#replace_text_in_files` with `files: nil`).
/// - On Linux the ELF interpreter and RUNPATH are relocated for **every** cellar kind — `:any`,
///   `:any_skip_relocation` and a pinned path alike — unless `skip_linkage`
///   (`keg.replace_placeholders_with_locations(changed_files, skip_linkage:)`).
/// - `skip_linkage` is `BottleSpecification#skip_relocation?(tab:)`, which on Linux
///   (`extend/os/linux/bottle_specification.rb`) holds only for `:any_skip_relocation` bottles whose
///   tab says `homebrew_version` ≥ 5.1.15: older brews marked bottles skip-relocation wrongly.
/// - A bottle from a custom `HOMEBREW_BOTTLE_DOMAIN` whose tab has no `changed_files` gets full
///   relocation, with a warning (`formula_installer.rb#pour`).
///
/// Immutable value; safe to share across queues.
package struct RelocationPlan: Sendable, Equatable {
    /// Relocate ELF interpreters and RUNPATHs.
    package var binaries: Bool
    /// Files whose text placeholders are replaced; nil means every text file.
    package var textFiles: [String]?
    /// A one-line warning for the user, when brew would print one.
    package var warning: String?

    /// The first brew whose `:any_skip_relocation` is trusted on Linux.
    package static let trustedSkipRelocationVersion = HomebrewVersion("5.1.15")

    package static func decide(cellar: CellarKind, tab: BottleTab?, linux: Bool, customBottleDomain: Bool,
                               package: String) -> RelocationPlan {
        var skipLinkage: Bool
        if linux {
            // extend/os/linux/bottle_specification.rb: `!tab.nil? && tab.parsed_homebrew_version >= "5.1.15" && super`.
            let version = tab?.homebrewVersion.map(HomebrewVersion.init)
            skipLinkage = cellar == .anySkipRelocation && version.map { $0 >= trustedSkipRelocationVersion } == true
        } else {
            // bottle_specification.rb: elsewhere the cellar alone decides (pour patches no Mach-O,
            // so `binaries` stays false there either way).
            skipLinkage = cellar == .anySkipRelocation
        }
        var warning: String?
        if customBottleDomain && tab?.changedFiles == nil {
            warning = "\(package): no bottle relocation metadata came from HOMEBREW_BOTTLE_DOMAIN, so every file is relocated; use an OCI registry mirror with HOMEBREW_ARTIFACT_DOMAIN to avoid this"
            if linux { skipLinkage = false }
        }
        return RelocationPlan(binaries: linux && !skipLinkage, textFiles: tab?.changedFiles, warning: warning)
    }
}
