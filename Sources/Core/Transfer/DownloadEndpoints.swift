import Foundation

extension InstallConfiguration {
    /// Where bottles and formula JSON come from: Homebrew's mirror variables, applied as brew does.
    ///
    /// Immutable value; safe to share across queues.
    public struct DownloadEndpoints: Sendable, Equatable {
        public static let defaultAPIDomain = "https://formulae.brew.sh/api"
        public static let defaultBottleDomain = "https://ghcr.io/v2/homebrew/core"

        /// `HOMEBREW_API_DOMAIN`: formula JSON lives at `<apiDomain>/formula/<name>.json`.
        public var apiDomain: String
        /// `HOMEBREW_BOTTLE_DOMAIN`: replaces each bottle's `root_url` when set.
        public var bottleDomain: String?
        /// `HOMEBREW_ARTIFACT_DOMAIN`: replaces a leading `https://ghcr.io/` in download URLs.
        public var artifactDomain: String?
        /// `HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK`: do not fall back to the original URL.
        public var artifactDomainNoFallback: Bool
        /// `Authorization` value for OCI registries (`HOMEBREW_DOCKER_REGISTRY_TOKEN` → `Bearer <t>`,
        /// `HOMEBREW_DOCKER_REGISTRY_BASIC_AUTH_TOKEN` → `Basic <t>`, else anonymous `Bearer QQ==`).
        public var registryAuthorization: String

        public init(apiDomain: String = InstallConfiguration.DownloadEndpoints.defaultAPIDomain, bottleDomain: String? = nil,
                    artifactDomain: String? = nil, artifactDomainNoFallback: Bool = false,
                    registryAuthorization: String = "Bearer QQ==") {
            self.apiDomain = DownloadEndpoints.trimmed(apiDomain)
            self.bottleDomain = bottleDomain.map(DownloadEndpoints.trimmed)
            self.artifactDomain = artifactDomain.map(DownloadEndpoints.trimmed)
            self.artifactDomainNoFallback = artifactDomainNoFallback
            self.registryAuthorization = registryAuthorization
        }

        /// Reads Homebrew's variables from an environment dictionary.
        public static func fromEnvironment(_ environment: [String: String]) -> InstallConfiguration.DownloadEndpoints {
            func value(_ key: String) -> String? {
                guard let v = environment[key], !v.isEmpty else { return nil }
                return v
            }
            var authorization = "Bearer QQ=="
            if let token = value("HOMEBREW_DOCKER_REGISTRY_TOKEN") {
                authorization = "Bearer \(token)"
            } else if let basic = value("HOMEBREW_DOCKER_REGISTRY_BASIC_AUTH_TOKEN") {
                authorization = "Basic \(basic)"
            }
            return DownloadEndpoints(apiDomain: value("HOMEBREW_API_DOMAIN") ?? defaultAPIDomain,
                                     bottleDomain: value("HOMEBREW_BOTTLE_DOMAIN"),
                                     artifactDomain: value("HOMEBREW_ARTIFACT_DOMAIN"),
                                     artifactDomainNoFallback: value("HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK") != nil,
                                     registryAuthorization: authorization)
        }

        private static func trimmed(_ url: String) -> String {
            var url = url
            while url.hasSuffix("/") { url.removeLast() }
            return url
        }

        /// The OCI image name of a formula: `@` → `/`, `+` → `x` (`openssl@3` → `openssl/3`).
        package static func imageName(_ formulaName: String) -> String {
            formulaName.replacingOccurrences(of: "@", with: "/").replacingOccurrences(of: "+", with: "x")
        }

        /// The URL of one formula's JSON.
        package func formulaJSONURL(_ name: String) -> String { "\(apiDomain)/formula/\(name).json" }

        /// Sources to try for a bottle, in order.
        package func sources(for formula: Formula, bottle: Bottle) -> [DownloadSource] {
            var url = bottle.url
            // Only a URL built from a domain the user set may be file:// (never the registry's own).
            var fromUserDomain = false
            if let bottleDomain, bottleDomain != DownloadEndpoints.defaultBottleDomain {
                fromUserDomain = true
                if ByteSearch.contains(bottleDomain, "/v2/") {
                    url = "\(bottleDomain)/\(DownloadEndpoints.imageName(formula.name))/blobs/sha256:\(bottle.sha256)"
                } else {
                    let rebuild = bottle.rebuild > 0 ? ".\(bottle.rebuild)" : ""
                    url = "\(bottleDomain)/\(formula.name)-\(formula.pkgVersion).\(bottle.tag.rawValue).bottle\(rebuild).tar.gz"
                }
            }
            var candidates: [(url: String, user: Bool)] = []
            if let artifactDomain, url.hasPrefix("https://ghcr.io/") {
                // A domain that already holds the registry API path (`https://harbor.example/v2/ghcr-io`,
                // a proxy project) takes the path after ghcr's `/v2/`, so `/v2/` is not doubled
                // (Library/Homebrew/download_strategy/curl_download_strategy.rb, `domain_contains_v2`).
                let prefix = DownloadEndpoints.containsRegistryAPIPath(artifactDomain) && url.hasPrefix("https://ghcr.io/v2/")
                    ? "https://ghcr.io/v2/" : "https://ghcr.io/"
                candidates.append((artifactDomain + "/" + url.dropFirst(prefix.count), true))
                if !artifactDomainNoFallback { candidates.append((url, fromUserDomain)) }
            } else {
                candidates.append((url, fromUserDomain))
            }
            return candidates.map { DownloadSource(url: $0.url, headers: headers(for: $0.url), allowFile: $0.user) }
        }

        /// `scheme://host[:port]/v2` or `…/v2/…`: the URL is already inside a registry's API.
        static func containsRegistryAPIPath(_ domain: String) -> Bool {
            guard let scheme = ByteSearch.range(of: "://", in: domain) else { return false }
            let rest = domain[scheme.upperBound...]
            // Once per package: on bytes when they are the `Character`s (ASCII), not a walk of graphemes.
            if rest.utf8.allSatisfy({ $0 < 0x80 }) {
                let afterHost = rest.utf8.drop { $0 != UInt8(ascii: "/") }
                return afterHost.elementsEqual("/v2".utf8) || afterHost.starts(with: "/v2/".utf8)
            }
            let afterHost = rest.drop { $0 != "/" }
            return afterHost == "/v2" || afterHost.hasPrefix("/v2/")
        }

        /// Where the bottle's OCI image index lives (`…/<image>/manifests/<pkg_version>[-<rebuild>]`),
        /// for registry-shaped sources only (flat mirrors and file:// roots have none).
        package func manifestSources(for formula: Formula, bottle: Bottle) -> [DownloadSource] {
            let reference = formula.pkgVersion + (bottle.rebuild > 0 ? "-\(bottle.rebuild)" : "")
            return sources(for: formula, bottle: bottle).compactMap { source in
                guard ByteSearch.contains(source.url, "/v2/"), let range = ByteSearch.range(of: "/blobs/sha256:", in: source.url) else { return nil }
                let url = source.url[..<range.lowerBound] + "/manifests/" + reference
                return DownloadSource(url: String(url), headers: source.headers + [BottleManifest.acceptHeader],
                                      allowFile: source.allowFile)
            }
        }

        /// OCI registries (`…/v2/…/blobs/…` or `…/manifests/…`) get the registry Authorization header;
        /// libcurl drops it if the registry redirects to another host.
        package func headers(for url: String) -> [String] {
            let isRegistry = ByteSearch.contains(url, "/v2/") && (ByteSearch.contains(url, "/blobs/") || ByteSearch.contains(url, "/manifests/"))
            return isRegistry ? ["Authorization: \(registryAuthorization)"] : []
        }
    }
}

package typealias DownloadEndpoints = InstallConfiguration.DownloadEndpoints
