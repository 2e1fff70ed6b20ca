/// The two listeners of `RegistryServer`, mirroring ghcr.io (API + auth + redirect) and the
/// separate blob host it redirects to.
package enum RegistryListener: String, Hashable, Sendable, Codable, CaseIterable {
    /// "ghcr.io": formula API, authenticated blob and manifest paths, flat bottles.
    case registry
    /// "pkg-containers": serves blob bytes after the redirect; must never see Authorization.
    case blob
}
