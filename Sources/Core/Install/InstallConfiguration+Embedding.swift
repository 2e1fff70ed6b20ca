import Foundation

extension InstallConfiguration {
    /// A configuration for an embedder that owns its own prefix and cache: Homebrew's public
    /// endpoints (or `endpoints`), default jobs, retries and timeouts, nothing read from the
    /// environment. Use `fromEnvironment(prefix:cache:)` instead to honour Homebrew's variables.
    public init(prefix: String, cache: String, endpoints: InstallConfiguration.DownloadEndpoints = InstallConfiguration.DownloadEndpoints()) {
        self.init(layout: PrefixLayout(prefix: prefix, cache: cache), endpoints: endpoints)
    }

    /// The bearer token sent to OCI registries (`HOMEBREW_DOCKER_REGISTRY_TOKEN`); `nil` means
    /// anonymous access (ghcr.io's public `QQ==` token). Setting it rewrites
    /// `endpoints.registryAuthorization`.
    public var registryToken: String? {
        get {
            let authorization = endpoints.registryAuthorization
            guard authorization.hasPrefix("Bearer "), authorization != "Bearer QQ==" else { return nil }
            return String(authorization.dropFirst("Bearer ".count))
        }
        set {
            endpoints.registryAuthorization = newValue.map { "Bearer \($0)" } ?? "Bearer QQ=="
        }
    }
}
