extension InstallReport {
    /// Bytes and durations of one package in an install run, as `InstallReport.packageMetrics` gives
    /// them.
    ///
    /// Durations are measured between the package's events as they are delivered on the callback
    /// queue (monotonic clock), so a callback queue kept busy by the embedder stretches them; they
    /// are for display and logs, not for benchmarks.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    public struct PackageMetrics: Sendable, Equatable {
        /// Bytes received from the network for the bottle (0 for a cache hit).
        public var networkBytes: Int64 = 0
        /// The verified bottle came from the download cache.
        public var fromCache = false
        /// Files and bytes of the extracted keg.
        public var files = 0
        public var kegBytes: Int64 = 0
        /// From `downloadStarted` to `downloadFinished` (cache check and verification included).
        public var downloadSeconds: Double?
        /// From `extracting` to `extracted` (extraction, relocation, receipt).
        public var extractSeconds: Double?
        /// From `downloadStarted` to the package's outcome (`installed`, `failed` or `skipped`).
        public var totalSeconds: Double?

        public init() {}
    }
}

package typealias PackageMetrics = InstallReport.PackageMetrics
