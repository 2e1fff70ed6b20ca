/// The placeholder → path table Homebrew's bottles are built with, resolved for one prefix.
///
/// Immutable value; safe to share across queues. Pairs are ordered longest key first (ties by
/// key) so a scanner trying them in order never lets a shorter key shadow a longer one.
package struct Placeholders: Hashable, Sendable {
    /// One placeholder and the path that replaces it.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Pair: Hashable, Sendable {
        package let key: String
        package let value: String
    }

    /// Every placeholder starts with this: the scanner looks for it before trying the keys.
    package static let marker = "@@HOMEBREW_"

    package static let prefixKey = "@@HOMEBREW_PREFIX@@"
    package static let cellarKey = "@@HOMEBREW_CELLAR@@"
    package static let repositoryKey = "@@HOMEBREW_REPOSITORY@@"
    package static let libraryKey = "@@HOMEBREW_LIBRARY@@"
    package static let perlKey = "@@HOMEBREW_PERL@@"
    package static let javaKey = "@@HOMEBREW_JAVA@@"

    package let pairs: [Pair]

    /// Builds the table for `layout`. `runtimeDependencies` are formula names (a tap prefix such as
    /// `homebrew/core/openjdk@21` is allowed); the first `openjdk` or `openjdk@N` among them supplies
    /// `@@HOMEBREW_JAVA@@`. Without one, that placeholder is left as it is, as Homebrew does.
    package init(layout: PrefixLayout, runtimeDependencies: [String] = []) {
        var table: [String: String] = [
            Self.prefixKey: layout.prefix,
            Self.cellarKey: layout.cellar,
            Self.repositoryKey: layout.repository,
            Self.libraryKey: layout.library,
            Self.perlKey: layout.opt + "/perl/bin/perl",
        ]
        if let jdk = runtimeDependencies.lazy.map(Self.shortName).first(where: Self.isOpenJDK) {
            table[Self.javaKey] = layout.opt + "/" + jdk + "/libexec"
        }
        self.init(table: table)
    }

    /// A table from explicit pairs (tests, or callers with their own values).
    package init(table: [String: String]) {
        pairs = table.map { Pair(key: $0.key, value: $0.value) }.sorted {
            $0.key.utf8.count != $1.key.utf8.count ? $0.key.utf8.count > $1.key.utf8.count : $0.key < $1.key
        }
    }

    /// The value for `key`, if the table has one.
    package subscript(key: String) -> String? { pairs.first { $0.key == key }?.value }

    private static func shortName(_ dependency: String) -> String {
        dependency.split(separator: "/").last.map(String.init) ?? dependency
    }

    private static func isOpenJDK(_ name: String) -> Bool {
        if name == "openjdk" { return true }
        guard name.hasPrefix("openjdk@") else { return false }
        let version = name.dropFirst("openjdk@".count)
        return !version.isEmpty && version.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
    }
}
