import Foundation

extension InstallConfiguration {
    /// The directories of one Homebrew prefix and of pour's download cache, derived from two roots.
    ///
    /// Immutable value; safe to share across queues. Nothing here touches the disk.
    public struct PrefixLayout: Hashable, Sendable {
        /// The Homebrew prefix, e.g. `/home/linuxbrew/.linuxbrew`. Always an absolute, standardised path.
        public let prefix: String
        /// The download/API cache root (Homebrew's: `$XDG_CACHE_HOME/Homebrew` or `~/.cache/Homebrew`).
        public let cache: String
        /// The Homebrew repository directory (`@@HOMEBREW_REPOSITORY@@`); the prefix on Linux installs
        /// without a separate repository.
        public let repository: String

        public init(prefix: String, cache: String, repository: String? = nil) {
            let standardPrefix = URL(fileURLWithPath: prefix).standardizedFileURL.path
            self.prefix = standardPrefix
            self.cache = URL(fileURLWithPath: cache).standardizedFileURL.path
            self.repository = repository.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? standardPrefix
        }

        /// `<prefix>/Cellar`: one directory per formula, one keg per installed pkg_version.
        public var cellar: String { prefix + "/Cellar" }
        /// `<prefix>/opt`: one stable symlink per formula pointing at its current keg.
        public var opt: String { prefix + "/opt" }
        /// `<repository>/Library` (`@@HOMEBREW_LIBRARY@@`).
        public var library: String { repository + "/Library" }
        /// `<prefix>/var/homebrew/linked`: one symlink per linked formula.
        public var linkedKegs: String { prefix + "/var/homebrew/linked" }
        /// `<prefix>/var/homebrew/tmp/.pour-staging`: extraction happens here (same filesystem as the
        /// Cellar) so a finished keg is committed with one atomic rename.
        public var staging: String { prefix + "/var/homebrew/tmp/.pour-staging" }
        /// `<prefix>/var/homebrew/locks`: the prefix lock lives here.
        public var locks: String { prefix + "/var/homebrew/locks" }
        /// The lock file that serialises pour runs on this prefix.
        public var lockFile: String { locks + "/pour.lock" }
        /// `<cache>/downloads`: verified bottles and `.incomplete` partial downloads.
        public var downloads: String { cache + "/downloads" }
        /// `<cache>/api`: cached formula JSON.
        public var api: String { cache + "/api" }

        /// The keg directory of `name` at `pkgVersion`.
        public func keg(_ name: String, _ pkgVersion: String) -> String { "\(cellar)/\(name)/\(pkgVersion)" }

        /// Homebrew's default cache directory for this user and platform.
        public static func defaultCache(environment: [String: String]) -> String {
            if let explicit = environment["HOMEBREW_CACHE"], !explicit.isEmpty { return explicit }
            let home = environment["HOME"] ?? NSHomeDirectory()
            #if os(macOS)
                return home + "/Library/Caches/Homebrew"
            #else
                if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/Homebrew" }
                return home + "/.cache/Homebrew"
            #endif
        }

        /// Homebrew's default prefix for this platform.
        public static var defaultPrefix: String {
            #if os(macOS)
                #if arch(arm64)
                    return "/opt/homebrew"
                #else
                    return "/usr/local"
                #endif
            #else
                return "/home/linuxbrew/.linuxbrew"
            #endif
        }
    }
}

package typealias PrefixLayout = InstallConfiguration.PrefixLayout
