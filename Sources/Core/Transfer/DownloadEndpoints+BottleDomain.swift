import Foundation

extension DownloadEndpoints {
    /// True when `HOMEBREW_BOTTLE_DOMAIN` points somewhere other than ghcr.io's homebrew/core:
    /// such mirrors usually serve no manifest, so a bottle without `changed_files` in its own
    /// receipt is relocated in full (`formula_installer.rb#pour`, `EnvConfig.bottle_domain_custom?`).
    package var bottleDomainIsCustom: Bool {
        guard let bottleDomain else { return false }
        return bottleDomain != DownloadEndpoints.defaultBottleDomain
    }
}
