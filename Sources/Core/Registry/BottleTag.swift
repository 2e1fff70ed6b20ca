extension Formula {
    /// A Homebrew bottle tag such as `x86_64_linux`, `arm64_linux`, `arm64_sequoia` or `sonoma`.
    ///
    /// Immutable value; safe to share across queues.
    public struct BottleTag: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String

        public init(_ rawValue: String) { self.rawValue = rawValue }

        public var description: String { rawValue }

        /// `true` for the Linux tags, where `uses_from_macos` entries are real dependencies.
        public var isLinux: Bool { rawValue.hasSuffix("_linux") }

        /// The tag of the machine pour runs on (overridable with `POUR_BOTTLE_TAG` for tests and mirrors).
        public static func current(environment: [String: String] = [:]) -> Formula.BottleTag {
            if let forced = environment["POUR_BOTTLE_TAG"], !forced.isEmpty { return BottleTag(forced) }
            #if os(Linux)
                #if arch(arm64)
                    return BottleTag("arm64_linux")
                #else
                    return BottleTag("x86_64_linux")
                #endif
            #else
                #if arch(arm64)
                    return BottleTag("arm64_sequoia")
                #else
                    return BottleTag("sonoma")
                #endif
            #endif
        }

        /// macOS codenames, newest first: a macOS tag falls back to the newest older macOS of the same arch.
        static let macOSCodenames = ["tahoe", "sequoia", "sonoma", "ventura", "monterey", "big_sur", "catalina", "mojave"]

        /// Tags to try, in order, when picking a bottle file for this tag: itself, older macOS of the
        /// same arch (macOS only), then `all`.
        public var fallbackChain: [Formula.BottleTag] {
            var chain = [self]
            if !isLinux {
                let isArm = rawValue.hasPrefix("arm64_")
                let codename = isArm ? String(rawValue.dropFirst("arm64_".count)) : rawValue
                if let index = BottleTag.macOSCodenames.firstIndex(of: codename) {
                    for older in BottleTag.macOSCodenames[(index + 1)...] {
                        chain.append(BottleTag(isArm ? "arm64_\(older)" : older))
                    }
                }
            }
            chain.append(BottleTag("all"))
            return chain
        }
    }
}

package typealias BottleTag = Formula.BottleTag
