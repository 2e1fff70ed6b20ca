import Foundation

/// Generates a realistic stand-in for Homebrew's `formula.json`: by default 8,300 formulae,
/// about 30 MB, in the API's exact shape (every key `Formula#to_hash` writes), with a
/// dependency graph whose fan-out resembles homebrew-core's (a few hundred popular libraries
/// carry most edges; about a third of formulae have no runtime dependency), Linux
/// `variations`, aliases, old names, keg-only formulae (including the macOS-only reasons that
/// do not apply on Linux), caveats and descriptions worth searching.
///
/// The first formulae are fixed and documented in `CatalogueGenerator.fixed`, so tests can
/// assert on them; the rest are derived from the seed. Output is byte-for-byte reproducible.
///
/// A value type; `generate` allocates and returns everything it needs.
package struct CatalogueGenerator: Sendable {
    package var count: Int
    package var seed: UInt64

    package init(count: Int = 8_300, seed: UInt64 = 1) {
        self.count = max(count, CatalogueGenerator.fixed.count)
        self.seed = seed
    }

    /// One hand-written formula at the head of the catalogue.
    package struct Fixed: Sendable {
        package var name: String
        package var desc: String
        package var dependencies: [String] = []
        package var aliases: [String] = []
        package var oldnames: [String] = []
        package var kegOnlyReason: String? = nil
        package var caveats: String? = nil
        /// Extra runtime dependencies only on that Linux tag (`variations[tag].dependencies`).
        package var linuxExtra: [String: [String]] = [:]
        package var usesFromMacOS: [String] = []
    }

    /// The fixed head of every generated catalogue (what tests assert on).
    package static let fixed: [Fixed] = [
        Fixed(name: "zlib", desc: "General-purpose lossless data-compression library"),
        Fixed(name: "ca-certificates", desc: "Mozilla CA certificate store"),
        Fixed(name: "openssl@3", desc: "Cryptography and SSL/TLS Toolkit", dependencies: ["ca-certificates"],
              aliases: ["openssl", "openssl@3.5"]),
        Fixed(name: "pkgconf", desc: "Package compiler and linker metadata toolkit", aliases: ["pkg-config"],
              oldnames: ["pkg-config-legacy"]),
        Fixed(name: "libunistring", desc: "C string library for manipulating Unicode strings"),
        Fixed(name: "libidn2", desc: "International domain name library (IDNA2008, Punycode and TR46)",
              dependencies: ["libunistring"]),
        Fixed(name: "util-linux", desc: "Collection of Linux utilities"),
        Fixed(name: "wget", desc: "Internet file retriever", dependencies: ["libidn2", "openssl@3"],
              linuxExtra: ["x86_64_linux": ["zlib"], "arm64_linux": ["zlib", "util-linux"]]),
        Fixed(name: "wget2", desc: "Successor of GNU Wget, a file and recursive website downloader",
              dependencies: ["libidn2", "openssl@3"]),
        Fixed(name: "wgetpaste", desc: "Automate pasting to a number of pastebin services, like wget for pastes"),
        Fixed(name: "curl", desc: "Get a file from an HTTP, HTTPS or FTP server", dependencies: ["openssl@3"],
              kegOnlyReason: ":provided_by_macos", usesFromMacOS: ["zlib"]),
        Fixed(name: "sqlite", desc: "Command-line interface for SQLite", kegOnlyReason: ":provided_by_macos",
              usesFromMacOS: ["zlib"]),
        Fixed(name: "python@3.13", desc: "Interpreted, interactive, object-oriented programming language",
              dependencies: ["openssl@3", "sqlite", "pkgconf"], aliases: ["python3", "python"],
              caveats: "Python is installed as\n  $HOMEBREW_PREFIX/bin/python3\n", usesFromMacOS: ["zlib"]),
        Fixed(name: "openssl@1.1", desc: "Cryptography and SSL/TLS Toolkit (legacy)",
              dependencies: ["ca-certificates"], kegOnlyReason: ":versioned_formula"),
        Fixed(name: "jq", desc: "Lightweight and flexible command-line JSON processor", oldnames: ["jq-legacy"]),
    ]

    static let syllables = ["ba", "cor", "dex", "fi", "gal", "hup", "ix", "jor", "ka", "lum", "mo", "nex", "or",
                            "pli", "qua", "ru", "syn", "tor", "ub", "vex", "wa", "xy", "yo", "zen", "tri", "plo"]
    static let nouns = ["library", "toolkit", "parser", "compiler", "server", "client", "framework", "utility",
                        "daemon", "editor", "database", "shell", "emulator", "formatter", "linter", "proxy",
                        "scanner", "renderer", "codec", "debugger", "manager", "converter", "monitor", "bindings"]
    static let adjectives = ["fast", "portable", "lightweight", "secure", "modern", "minimal", "extensible",
                             "cross-platform", "asynchronous", "embeddable", "interactive", "high-performance"]
    static let topics = ["JSON", "XML", "HTTP", "TLS", "image", "audio", "video", "regular expression", "Unicode",
                         "compression", "terminal", "Git", "DNS", "YAML", "PDF", "font", "graph", "network",
                         "SQL", "Markdown", "Lua", "Python", "Rust", "Go", "Kubernetes", "container"]
    static let macOSTags = ["arm64_tahoe", "arm64_sequoia", "arm64_sonoma", "sonoma"]
    static let linuxTags = ["arm64_linux", "x86_64_linux"]

    /// The catalogue's names in order (fixed ones first).
    package func names() -> [String] {
        var names = CatalogueGenerator.fixed.map(\.name)
        var used = Set(names)
        var random = SeededRandom.derived(seed: seed, label: "names")
        while names.count < count {
            let parts = 2 + random.below(2)
            var name = (0 ..< parts).map { _ in CatalogueGenerator.syllables[random.below(CatalogueGenerator.syllables.count)] }
                .joined()
            switch random.below(20) {
            case 0, 1, 2: name = "lib" + name
            case 3: name += "@\(1 + random.below(4))"
            case 4: name += "-cli"
            default: break
            }
            if used.insert(name).inserted { names.append(name) }
        }
        return names
    }

    /// `formula.json`: a JSON array of formula objects.
    package func formulaJSON() -> Data {
        let names = names()
        var writer = JSONTextWriter(reserving: count * 3_900)
        writer.raw("[")
        for (index, name) in names.enumerated() {
            if index > 0 { writer.raw(",") }
            write(index: index, name: name, names: names, into: &writer)
        }
        writer.raw("]")
        return Data(writer.bytes)
    }

    /// Writes `api/formula.json` and, signed with `key`, `api/formula.jws.json` under `directory`,
    /// plus the public key as `api/pour-test-key.pem`.
    package func write(into directory: URL, key: TestSigningKey) throws(RegistryError) {
        let api = directory.appendingPathComponent("api")
        let payload = formulaJSON()
        do {
            try FileManager.default.createDirectory(at: api, withIntermediateDirectories: true)
            try payload.write(to: api.appendingPathComponent("formula.json"))
            try CatalogueSigner.envelope(payload: payload, key: key).write(to: api.appendingPathComponent("formula.jws.json"))
            try Data(key.publicPEM.utf8).write(to: api.appendingPathComponent("pour-test-key.pem"))
        } catch let error as RegistryError {
            throw error
        } catch {
            throw .io(path: api.path, message: "\(error)")
        }
    }

    // MARK: One formula

    private func write(index: Int, name: String, names: [String], into w: inout JSONTextWriter) {
        var random = SeededRandom.derived(seed: seed, label: name)
        let fixed = index < CatalogueGenerator.fixed.count ? CatalogueGenerator.fixed[index] : nil
        let version = "\(1 + random.below(9)).\(random.below(30)).\(random.below(12))"
        let revision = random.below(10) == 0 ? 1 + random.below(3) : 0
        let dependencies = fixed?.dependencies ?? pickDependencies(index: index, names: names, random: &random)
        let buildDependencies = fixed == nil && random.below(3) == 0 ? ["pkgconf"] : []
        let aliases = fixed?.aliases ?? (random.below(40) == 0 ? ["\(name)-alias"] : [])
        let oldnames = fixed?.oldnames ?? (random.below(50) == 0 ? ["\(name)-old"] : [])
        let kegOnlyReason = fixed.map(\.kegOnlyReason) ?? (name.contains("@") ? ":versioned_formula"
            : random.below(60) == 0 ? ":provided_by_macos" : nil)
        let uses = fixed?.usesFromMacOS ?? (random.below(5) == 0 ? ["zlib"] : [])
        let desc = fixed?.desc ?? describe(&random)
        let caveats = fixed.map(\.caveats) ?? (random.below(16) == 0 ? "To start \(name) now and restart at login:\n  brew services start \(name)\n" : nil)
        let linuxExtra: [String: [String]] = fixed?.linuxExtra ?? (random.below(4) == 0
            ? ["x86_64_linux": ["zlib"], "arm64_linux": ["zlib"]] : [:])

        w.raw("{")
        w.key("name", first: true); w.string(name)
        w.key("full_name"); w.string(name)
        w.key("tap"); w.string("homebrew/core")
        w.key("oldnames"); w.strings(oldnames)
        w.key("aliases"); w.strings(aliases)
        w.key("versioned_formulae"); w.strings([])
        w.key("desc"); w.string(desc)
        w.key("license"); w.string(["MIT", "Apache-2.0", "GPL-3.0-or-later", "BSD-3-Clause"][random.below(4)])
        w.key("homepage"); w.string("https://\(name.replacingOccurrences(of: "@", with: "-")).example.org/")
        w.key("versions"); w.raw("{\"stable\":"); w.string(version); w.raw(",\"head\":\"HEAD\",\"bottle\":true}")
        w.key("urls"); w.raw("{\"stable\":{\"url\":")
        w.string("https://downloads.example.org/\(name)/\(name)-\(version).tar.gz")
        w.raw(",\"tag\":null,\"revision\":null,\"using\":null,\"checksum\":"); w.string(hex(&random))
        w.raw("},\"head\":{\"url\":"); w.string("https://git.example.org/\(name).git")
        w.raw(",\"branch\":\"main\",\"using\":null}}")
        w.key("revision"); w.raw("\(revision)")
        w.key("version_scheme"); w.raw("0")
        w.key("compatibility_version"); w.raw("null")
        w.key("autobump"); w.raw("true")
        w.key("no_autobump_message"); w.raw("null")
        w.key("skip_livecheck"); w.raw("false")
        w.key("bottle"); writeBottle(name: name, random: &random, into: &w)
        w.key("pour_bottle_only_if"); w.raw("null")
        w.key("keg_only"); w.raw(kegOnlyReason == nil ? "false" : "true")
        w.key("keg_only_reason")
        if let kegOnlyReason {
            w.raw("{\"reason\":"); w.string(kegOnlyReason); w.raw(",\"explanation\":\"\"}")
        } else {
            w.raw("null")
        }
        w.key("options"); w.raw("[]")
        w.key("build_dependencies"); w.strings(buildDependencies)
        w.key("dependencies"); w.strings(dependencies)
        w.key("test_dependencies"); w.strings([])
        w.key("recommended_dependencies"); w.strings([])
        w.key("optional_dependencies"); w.strings([])
        w.key("uses_from_macos"); w.strings(uses)
        w.key("uses_from_macos_bounds"); w.raw("[" + uses.map { _ in "{}" }.joined(separator: ",") + "]")
        w.key("requirements"); w.raw("[]")
        w.key("conflicts_with"); w.strings([])
        w.key("conflicts_with_reasons"); w.strings([])
        w.key("link_overwrite"); w.strings([])
        w.key("caveats"); w.optionalString(caveats)
        w.key("installed"); w.raw("[]")
        w.key("linked_keg"); w.raw("null")
        w.key("pinned"); w.raw("false")
        w.key("outdated"); w.raw("false")
        let deprecated = fixed == nil && random.below(30) == 0
        w.key("deprecated"); w.raw(deprecated ? "true" : "false")
        w.key("deprecation_date"); deprecated ? w.string("2025-06-01") : w.raw("null")
        w.key("deprecation_reason"); deprecated ? w.string("unmaintained") : w.raw("null")
        w.key("deprecation_replacement_formula"); w.raw("null")
        w.key("deprecation_replacement_cask"); w.raw("null")
        w.key("disabled"); w.raw("false")
        w.key("disable_date"); w.raw("null")
        w.key("disable_reason"); w.raw("null")
        w.key("disable_replacement_formula"); w.raw("null")
        w.key("disable_replacement_cask"); w.raw("null")
        w.key("post_install_defined"); w.raw(random.below(20) == 0 ? "true" : "false")
        w.key("service"); w.raw("null")
        w.key("tap_git_head"); w.string(String(hex(&random).prefix(40)))
        w.key("ruby_source_path"); w.string("Formula/\(name.prefix(1))/\(name).rb")
        w.key("ruby_source_checksum"); w.raw("{\"sha256\":"); w.string(hex(&random)); w.raw("}")
        w.key("head_dependencies")
        w.raw("{\"build_dependencies\":"); w.strings(buildDependencies)
        w.raw(",\"dependencies\":"); w.strings(dependencies)
        w.raw(",\"test_dependencies\":[],\"recommended_dependencies\":[],\"optional_dependencies\":[]")
        w.raw(",\"uses_from_macos\":"); w.strings(uses)
        w.raw(",\"uses_from_macos_bounds\":[" + uses.map { _ in "{}" }.joined(separator: ",") + "]}")
        w.key("variations"); w.raw("{")
        var firstVariation = true
        for tag in CatalogueGenerator.linuxTags {
            guard let extra = linuxExtra[tag] else { continue }
            w.key(tag, first: firstVariation)
            firstVariation = false
            w.raw("{\"dependencies\":"); w.strings(dependencies + extra)
            w.raw("}")
        }
        w.raw("}")
        w.raw("}")
    }

    /// Runtime dependencies: earlier formulae only (a DAG), mostly popular ones.
    private func pickDependencies(index: Int, names: [String], random: inout SeededRandom) -> [String] {
        let roll = random.below(100)
        let wanted = roll < 35 ? 0 : roll < 65 ? 1 + random.below(2) : roll < 92 ? 3 + random.below(4) : 7 + random.below(10)
        var picked: [String] = []
        for _ in 0 ..< wanted where index > 1 {
            let popular = min(index, 300)
            let target = random.below(10) < 7 ? random.below(popular) : random.below(index)
            let name = names[target]
            if !picked.contains(name) { picked.append(name) }
        }
        return picked
    }

    private func writeBottle(name: String, random: inout SeededRandom, into w: inout JSONTextWriter) {
        let image = name.replacingOccurrences(of: "@", with: "/").replacingOccurrences(of: "+", with: "x")
        let cellar = [":any_skip_relocation", ":any", ":any_skip_relocation", "/opt/homebrew/Cellar"][random.below(4)]
        w.raw("{\"stable\":{\"rebuild\":\(random.below(4) == 0 ? 1 : 0),\"root_url\":\"https://ghcr.io/v2/homebrew/core\",\"files\":{")
        for (offset, tag) in (CatalogueGenerator.macOSTags + CatalogueGenerator.linuxTags).enumerated() {
            let sha = hex(&random)
            let tagCellar = tag.hasSuffix("_linux") && cellar.hasPrefix("/") ? "/home/linuxbrew/.linuxbrew/Cellar" : cellar
            w.key(tag, first: offset == 0)
            w.raw("{\"cellar\":"); w.string(tagCellar)
            w.raw(",\"url\":"); w.string("https://ghcr.io/v2/homebrew/core/\(image)/blobs/sha256:\(sha)")
            w.raw(",\"sha256\":"); w.string(sha)
            w.raw("}")
        }
        w.raw("}}}")
    }

    private func describe(_ random: inout SeededRandom) -> String {
        let adjective = CatalogueGenerator.adjectives[random.below(CatalogueGenerator.adjectives.count)]
        let topic = CatalogueGenerator.topics[random.below(CatalogueGenerator.topics.count)]
        let noun = CatalogueGenerator.nouns[random.below(CatalogueGenerator.nouns.count)]
        return "\(adjective.prefix(1).uppercased())\(adjective.dropFirst()) \(topic) \(noun)"
    }

    private func hex(_ random: inout SeededRandom) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](repeating: 0, count: 64)
        var value = random.next()
        for index in 0 ..< 64 {
            if index % 16 == 0 { value = random.next() }
            bytes[index] = digits[Int(value & 0xF)]
            value >>= 4
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
