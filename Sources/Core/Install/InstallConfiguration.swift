import Foundation

/// Everything an `Installer` needs to know, as one value.
///
/// Immutable value; safe to share across queues. Build it with `init` or from an environment with
/// `fromEnvironment`, which reads Homebrew's variables so pour behaves like brew on the same prefix.
public struct InstallConfiguration: Sendable {
    public var layout: InstallConfiguration.PrefixLayout
    public var endpoints: InstallConfiguration.DownloadEndpoints
    public var bottleTag: Formula.BottleTag
    /// Transfers in flight (the semaphore's value). Default 8: enough to fill a 100 Mbit/s–1 Gbit/s
    /// link and to hide per-request latency on CDNs that cap each connection, while staying
    /// polite to one registry host (Homebrew's own default is 2 × cores; curl's
    /// `--parallel-max` default is 50). More transfers do not help a link that is already full.
    public var jobs: Int
    /// Bottles extracted at once. Default: active cores. Extraction is CPU-bound (inflate + write);
    /// more workers than cores only add contention (measured: 2 workers on 2 cores = exactly 2×).
    public var extractionWidth: Int
    package var retryPolicy: RetryPolicy
    package var timeouts: TransferTimeouts
    /// When a running download may be split into Range requests (`RangeSplitter`; `POUR_RANGE_SPLIT=0` turns it off).
    package var rangeSplit = RangeSplitPolicy()
    /// A CA bundle for TLS verification (`--cacert`, `CURL_CA_BUNDLE`, `SSL_CERT_FILE`).
    public var caBundle: String?
    /// Cached formula JSON younger than this is used without asking the network
    /// (Homebrew's `HOMEBREW_API_AUTO_UPDATE_SECS`, default 450).
    public var apiMaxAge: Double
    /// Wait for another pour on the same prefix (true) or fail at once (false, `--no-wait`).
    public var waitForLock: Bool
    package var extractionLimits: ExtractionLimits
    /// The formula index: freshness, auto-update, trust (see `IndexSettings`).
    package var index = IndexSettings()
    /// Allow plain `http://` to non-loopback hosts (`--insecure`, `POUR_ALLOW_INSECURE_HTTP=1`).
    /// Off by default: see `InsecureURLPolicy`.
    public var allowInsecureHTTP: Bool = false

    public init(layout: InstallConfiguration.PrefixLayout, endpoints: InstallConfiguration.DownloadEndpoints = InstallConfiguration.DownloadEndpoints(),
                bottleTag: Formula.BottleTag = .current(), jobs: Int = 8,
                extractionWidth: Int = ProcessInfo.processInfo.activeProcessorCount,
                caBundle: String? = nil, apiMaxAge: Double = 450, waitForLock: Bool = true) {
        self.layout = layout
        self.endpoints = endpoints
        self.bottleTag = bottleTag
        self.jobs = max(1, jobs)
        self.extractionWidth = max(1, extractionWidth)
        self.retryPolicy = RetryPolicy()
        self.timeouts = TransferTimeouts()
        self.caBundle = caBundle
        self.apiMaxAge = apiMaxAge
        self.waitForLock = waitForLock
        self.extractionLimits = .default
    }

    /// Reads `HOMEBREW_PREFIX`, `HOMEBREW_CACHE`/`XDG_CACHE_HOME`, the mirror variables,
    /// `HOMEBREW_API_AUTO_UPDATE_SECS`, `HOMEBREW_DOWNLOAD_CONCURRENCY`, `CURL_CA_BUNDLE`/`SSL_CERT_FILE`,
    /// `POUR_ALLOW_INSECURE_HTTP`, `POUR_BOTTLE_TAG` and the deadlines (`TransferTimeouts.applying`).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       prefix: String? = nil, cache: String? = nil) -> InstallConfiguration {
        func value(_ key: String) -> String? {
            guard let v = environment[key], !v.isEmpty else { return nil }
            return v
        }
        let layout = PrefixLayout(prefix: prefix ?? value("HOMEBREW_PREFIX") ?? PrefixLayout.defaultPrefix,
                                  cache: cache ?? PrefixLayout.defaultCache(environment: environment),
                                  repository: value("HOMEBREW_REPOSITORY"))
        var configuration = InstallConfiguration(layout: layout,
                                                 endpoints: .fromEnvironment(environment),
                                                 bottleTag: .current(environment: environment))
        if let jobs = value("HOMEBREW_DOWNLOAD_CONCURRENCY").flatMap(Int.init), jobs > 0 { configuration.jobs = jobs }
        if let age = value("HOMEBREW_API_AUTO_UPDATE_SECS").flatMap(Double.init) { configuration.apiMaxAge = age }
        if value("HOMEBREW_NO_AUTO_UPDATE") != nil || value("POUR_NO_AUTO_UPDATE") != nil { configuration.apiMaxAge = .infinity }
        configuration.caBundle = value("CURL_CA_BUNDLE") ?? value("SSL_CERT_FILE")
        configuration.index = .fromEnvironment(environment)
        if let insecure = value("POUR_ALLOW_INSECURE_HTTP") { configuration.allowInsecureHTTP = insecure != "0" }
        configuration.timeouts = configuration.timeouts.applying(environment: environment)
        configuration.rangeSplit = configuration.rangeSplit.applying(environment: environment)
        return configuration
    }
}
