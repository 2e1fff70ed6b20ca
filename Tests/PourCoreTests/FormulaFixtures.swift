import Foundation
@testable import PourCore

/// Formula objects written in the shape of Homebrew's JSON API (`formula.json` elements), with
/// the extra fields the real documents carry (urls, options, service…) so that "unknown fields
/// are ignored" is exercised too. Checksums are made up but well-formed.
enum FormulaFixtures {
    static func sha(_ seed: Character) -> String { String(repeating: seed, count: 64) }

    static func blob(_ image: String, _ seed: Character) -> String {
        "https://ghcr.io/v2/homebrew/core/\(image)/blobs/sha256:\(sha(seed))"
    }

    static let caCertificates = """
    {
      "name": "ca-certificates", "full_name": "ca-certificates", "tap": "homebrew/core",
      "oldnames": [], "aliases": [], "versioned_formulae": [],
      "desc": "Mozilla CA certificate store", "license": "MPL-2.0",
      "homepage": "https://curl.se/docs/caextract.html",
      "versions": {"stable": "2025-05-20", "head": null, "bottle": true},
      "urls": {"stable": {"url": "https://curl.se/ca/cacert-2025-05-20.pem", "tag": null, "revision": null}},
      "revision": 0, "version_scheme": 0,
      "bottle": {"stable": {"rebuild": 0, "root_url": "https://ghcr.io/v2/homebrew/core",
        "files": {"all": {"cellar": ":any_skip_relocation", "url": "\(blob("ca-certificates", "c"))", "sha256": "\(sha("c"))"}}}},
      "keg_only": false, "keg_only_reason": null, "options": [],
      "build_dependencies": [], "dependencies": [], "test_dependencies": [],
      "recommended_dependencies": [], "optional_dependencies": [],
      "uses_from_macos": [], "uses_from_macos_bounds": [], "requirements": [],
      "conflicts_with": [], "conflicts_with_reasons": [], "link_overwrite": [],
      "caveats": null, "installed": [], "linked_keg": null, "pinned": false, "outdated": false,
      "deprecated": false, "deprecation_date": null, "deprecation_reason": null,
      "disabled": false, "disable_date": null, "disable_reason": null,
      "post_install_defined": true, "service": null, "tap_git_head": "0123abcd",
      "ruby_source_path": "Formula/c/ca-certificates.rb",
      "ruby_source_checksum": {"sha256": "\(sha("9"))"},
      "variations": {}
    }
    """

    static let openssl3 = """
    {
      "name": "openssl@3", "full_name": "openssl@3", "tap": "homebrew/core",
      "oldnames": [], "aliases": ["openssl"], "versioned_formulae": ["openssl@1.1"],
      "desc": "Cryptography and SSL/TLS Toolkit", "license": "Apache-2.0",
      "homepage": "https://openssl-library.org",
      "versions": {"stable": "3.5.0", "head": null, "bottle": true},
      "revision": 0, "version_scheme": 0,
      "bottle": {"stable": {"rebuild": 0, "root_url": "https://ghcr.io/v2/homebrew/core",
        "files": {
          "arm64_sonoma": {"cellar": ":any", "url": "\(blob("openssl/3", "a"))", "sha256": "\(sha("a"))"},
          "x86_64_linux": {"cellar": "/home/linuxbrew/.linuxbrew/Cellar", "url": "\(blob("openssl/3", "b"))", "sha256": "\(sha("b"))"},
          "all": {"cellar": ":any", "url": "\(blob("openssl/3", "d"))", "sha256": "\(sha("d"))"}
        }}},
      "keg_only": false, "keg_only_reason": null, "options": [],
      "build_dependencies": [], "dependencies": ["ca-certificates"], "test_dependencies": [],
      "recommended_dependencies": [], "optional_dependencies": [],
      "uses_from_macos": [], "uses_from_macos_bounds": [],
      "requirements": [{"name": "arch", "cask": null, "download": null, "version": "x86_64", "contexts": ["build"], "specs": ["stable"]}],
      "conflicts_with": [], "conflicts_with_reasons": [], "link_overwrite": [],
      "caveats": "A CA file has been bootstrapped using certificates from the system\\nkeychain.\\n",
      "deprecated": false, "disabled": false, "post_install_defined": true,
      "variations": {"x86_64_linux": {"caveats": null}}
    }
    """

    /// A formula whose Linux variation adds dependencies and replaces the whole bottle section.
    static let curl = """
    {
      "name": "curl", "full_name": "curl", "tap": "homebrew/core", "oldnames": [], "aliases": [],
      "desc": "Get a file from an HTTP, HTTPS or FTP server", "license": "curl",
      "homepage": "https://curl.se",
      "versions": {"stable": "8.14.1", "head": "HEAD", "bottle": true},
      "revision": 0, "version_scheme": 0,
      "bottle": {"stable": {"rebuild": 0, "root_url": "https://ghcr.io/v2/homebrew/core",
        "files": {"arm64_sequoia": {"cellar": ":any", "url": "\(blob("curl", "1"))", "sha256": "\(sha("1"))"}}}},
      "keg_only": true, "keg_only_reason": {"reason": ":provided_by_macos", "explanation": ""},
      "build_dependencies": ["pkgconf"], "dependencies": ["libnghttp2", "openssl@3"],
      "test_dependencies": [], "recommended_dependencies": [], "optional_dependencies": [],
      "uses_from_macos": ["krb5", {"python": ["build", "test"]}, "zlib", {"m4": "build"}],
      "uses_from_macos_bounds": [{}, {}, {"since": "catalina"}, {}],
      "requirements": [], "conflicts_with": [], "link_overwrite": [], "caveats": null,
      "deprecated": false, "disabled": false, "post_install_defined": false,
      "variations": {
        "x86_64_linux": {
          "dependencies": ["libnghttp2", "libssh2", "openssl@3", "zstd", "libnghttp2"],
          "bottle": {"stable": {"rebuild": 1, "root_url": "https://ghcr.io/v2/homebrew/core",
            "files": {"x86_64_linux": {"cellar": ":any", "url": "\(blob("curl", "2"))", "sha256": "\(sha("2"))"}}}}
        },
        "arm64_linux": {"dependencies": ["libnghttp2", "openssl@3", "brotli"]}
      }
    }
    """

    static let zlib = """
    {
      "name": "zlib", "full_name": "zlib", "tap": "homebrew/core", "oldnames": [], "aliases": [],
      "desc": "General-purpose lossless data-compression library", "license": "Zlib",
      "homepage": "https://zlib.net/", "versions": {"stable": "1.3.1", "head": null, "bottle": true},
      "revision": 0, "version_scheme": 0,
      "bottle": {"stable": {"rebuild": 0, "root_url": "https://ghcr.io/v2/homebrew/core",
        "files": {
          "arm64_sonoma": {"cellar": ":any", "url": "\(blob("zlib", "3"))", "sha256": "\(sha("3"))"},
          "x86_64_linux": {"cellar": ":any_skip_relocation", "url": "\(blob("zlib", "4"))", "sha256": "\(sha("4"))"}
        }}},
      "keg_only": true, "keg_only_reason": {"reason": ":provided_by_macos", "explanation": ""},
      "build_dependencies": [], "dependencies": [], "test_dependencies": [],
      "recommended_dependencies": [], "optional_dependencies": [],
      "uses_from_macos": [], "uses_from_macos_bounds": [], "requirements": [],
      "conflicts_with": [], "link_overwrite": [], "caveats": null,
      "deprecated": false, "disabled": false, "post_install_defined": false
    }
    """

    static let node20 = """
    {
      "name": "node@20", "full_name": "node@20", "tap": "homebrew/core", "oldnames": [], "aliases": [],
      "desc": "Open-source, cross-platform JavaScript runtime environment", "license": "MIT",
      "homepage": "https://nodejs.org/", "versions": {"stable": "20.19.2", "head": null, "bottle": true},
      "revision": 0, "version_scheme": 0,
      "bottle": {"stable": {"rebuild": 0, "root_url": "https://ghcr.io/v2/homebrew/core",
        "files": {"x86_64_linux": {"cellar": ":any", "url": "\(blob("node/20", "5"))", "sha256": "\(sha("5"))"}}}},
      "keg_only": true, "keg_only_reason": {"reason": ":versioned_formula", "explanation": ""},
      "build_dependencies": ["python@3.13"], "dependencies": ["brotli", "icu4c@77", "libnghttp2", "openssl@3"],
      "test_dependencies": [], "recommended_dependencies": [], "optional_dependencies": [],
      "uses_from_macos": ["python", "zlib"], "uses_from_macos_bounds": [{}, {}],
      "requirements": [], "conflicts_with": [], "link_overwrite": [], "caveats": null,
      "deprecated": false, "disabled": false, "post_install_defined": false
    }
    """

    /// `gnupg` was renamed from `gnupg2`: modern `oldnames` list plus aliases.
    static let gnupg = """
    {
      "name": "gnupg", "full_name": "gnupg", "tap": "homebrew/core", "oldnames": ["gnupg2"],
      "aliases": ["gpg", "gnupg@2.4"], "desc": "GNU Pretty Good Privacy (PGP) package",
      "license": "GPL-3.0-or-later", "versions": {"stable": "2.4.8", "bottle": true},
      "revision": 0, "version_scheme": 0,
      "bottle": {"stable": {"rebuild": 0, "root_url": "https://ghcr.io/v2/homebrew/core",
        "files": {"x86_64_linux": {"cellar": ":any", "url": "\(blob("gnupg", "6"))", "sha256": "\(sha("6"))"}}}},
      "keg_only": false, "dependencies": ["zlib"], "uses_from_macos": [], "uses_from_macos_bounds": []
    }
    """

    /// Written by an older API: a single `oldname` string and no `uses_from_macos_bounds`.
    static let eza = """
    {
      "name": "eza", "full_name": "eza", "tap": "homebrew/core", "oldname": "exa", "aliases": [],
      "desc": "Modern, maintained replacement for ls", "license": "EUPL-1.2",
      "versions": {"stable": "0.21.4", "bottle": true}, "revision": 0, "version_scheme": 0,
      "bottle": {"stable": {"rebuild": 0, "root_url": "https://ghcr.io/v2/homebrew/core",
        "files": {"x86_64_linux": {"cellar": ":any_skip_relocation", "url": "\(blob("eza", "7"))", "sha256": "\(sha("7"))"}}}},
      "keg_only": false, "build_dependencies": ["rust", "zlib"], "dependencies": ["libgit2", "zlib"],
      "uses_from_macos": [{"zlib": "build"}]
    }
    """

    /// Revision 2: pkg_version `4.4_2`.
    static let make = """
    {
      "name": "make", "full_name": "make", "tap": "homebrew/core", "aliases": ["gmake"],
      "versions": {"stable": "4.4", "bottle": true}, "revision": 2, "version_scheme": 0,
      "bottle": {"stable": {"rebuild": 0, "root_url": "https://ghcr.io/v2/homebrew/core",
        "files": {"x86_64_linux": {"cellar": "/home/linuxbrew/.linuxbrew/Cellar", "url": "\(blob("make", "8"))", "sha256": "\(sha("8"))"}}}},
      "keg_only": false, "dependencies": []
    }
    """

    /// Only a macOS bottle: nothing to pour on Linux.
    static let hello = """
    {
      "name": "hello", "full_name": "hello", "tap": "homebrew/core",
      "versions": {"stable": "2.12.2", "bottle": true}, "revision": 0,
      "bottle": {"stable": {"rebuild": 0, "root_url": "https://ghcr.io/v2/homebrew/core",
        "files": {"arm64_sonoma": {"cellar": ":any_skip_relocation", "url": "\(blob("hello", "e"))", "sha256": "\(sha("e"))"}}}},
      "dependencies": []
    }
    """

    static let youtubeDL = """
    {
      "name": "youtube-dl", "full_name": "youtube-dl", "tap": "homebrew/core",
      "versions": {"stable": "2021.12.17", "bottle": true}, "revision": 0,
      "bottle": {"stable": {"rebuild": 0, "files": {"all": {"cellar": ":any_skip_relocation",
        "url": "\(blob("youtube-dl", "f"))", "sha256": "\(sha("f"))"}}}},
      "dependencies": [], "deprecated": true, "disabled": true, "disable_reason": "is not maintained"
    }
    """

    /// Simple leaf formulae referenced by the ones above, all with Linux bottles.
    static func leaf(_ name: String, _ seed: Character, dependencies: [String] = [], aliases: [String] = []) -> String {
        let deps = dependencies.map { "\"\($0)\"" }.joined(separator: ", ")
        let aliasList = aliases.map { "\"\($0)\"" }.joined(separator: ", ")
        return """
        {"name": "\(name)", "full_name": "\(name)", "tap": "homebrew/core", "aliases": [\(aliasList)],
         "versions": {"stable": "1.0", "bottle": true}, "revision": 0,
         "bottle": {"stable": {"rebuild": 0, "root_url": "https://ghcr.io/v2/homebrew/core",
           "files": {"x86_64_linux": {"cellar": ":any", "url": "\(blob(name, seed))", "sha256": "\(sha(seed))"}}}},
         "dependencies": [\(deps)], "uses_from_macos": [], "uses_from_macos_bounds": []}
        """
    }

    static var leaves: [String] {
        [leaf("libnghttp2", "0"), leaf("libssh2", "0", dependencies: ["openssl@3", "zlib"]), leaf("zstd", "0"),
         leaf("krb5", "0", dependencies: ["openssl"]), leaf("brotli", "0"), leaf("libgit2", "0", dependencies: ["libssh2"]),
         leaf("icu4c@77", "0"), leaf("python@3.13", "0", aliases: ["python", "python3"])]
    }

    /// A `formula.json`-shaped array of everything above.
    static var catalogueJSON: String {
        "[" + ([caCertificates, openssl3, curl, zlib, node20, gnupg, eza, make, hello, youtubeDL] + leaves)
            .joined(separator: ",\n") + "]"
    }

    static func object(_ text: String) throws -> FormulaJSON {
        try JSONDecoder().decode(FormulaJSON.self, from: Data(text.utf8))
    }

    static func formula(_ text: String, _ tag: String) throws -> Formula {
        try FormulaSpecializer.formula(from: object(text), tag: BottleTag(tag))
    }
}
