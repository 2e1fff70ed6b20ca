import Foundation
import PourCore

/// A named list of formula specs: the registries used by the tests, the README demo and the
/// benchmarks. Every recipe is a pure function of its parameters (and the seed, for graphs).
///
/// Immutable value; safe to share across queues.
package struct RegistryRecipe: Hashable, Sendable {
    package var name: String
    package var specs: [FormulaSpec]

    package init(name: String, specs: [FormulaSpec]) {
        self.name = name
        self.specs = specs
    }

    /// The recipe with the certificate chain of homebrew-core's shape: `ca-certificates` ships
    /// `bundle` at `share/ca-certificates/cacert.pem` and a `post_install` that copies it to
    /// `etc/ca-certificates/cert.pem`; `openssl@3` links `etc/openssl@3/cert.pem` to that file.
    /// Both formulae must be in the recipe.
    package func withCertificateChain(bundle: String) -> RegistryRecipe {
        var copy = self
        for index in copy.specs.indices {
            switch copy.specs[index].name {
            case "ca-certificates":
                copy.specs[index].kegFiles["share/ca-certificates/cacert.pem"] = bundle
                copy.specs[index].postInstall = """
                  def post_install
                    rm(pkgetc/"cert.pem", force: true)
                    pkgetc.mkpath
                    cp pkgshare/"cacert.pem", pkgetc/"cert.pem"
                  end
                """
            case "openssl@3":
                copy.specs[index].postInstall = """
                  def openssldir
                    etc/"openssl@3"
                  end

                  def post_install
                    rm(openssldir/"cert.pem") if (openssldir/"cert.pem").exist?
                    openssldir.install_symlink Formula["ca-certificates"].pkgetc/"cert.pem"
                  end
                """
            default: break
            }
        }
        return copy
    }

    /// Any graph a test needs.
    package static func custom(_ specs: [FormulaSpec]) -> RegistryRecipe {
        RegistryRecipe(name: "custom", specs: specs)
    }

    private static let kB = 1024
    private static let MB = 1024 * 1024

    /// About ten formulae, a few MB in all, for the README demo: a diamond (wget → libidn2 →
    /// gettext → libunistring and wget → libunistring), a keg-only formula, a relocatable ELF
    /// program, an alias, a revision, a `uses_from_macos` runtime dependency and a Linux overlay.
    package static func sample() -> RegistryRecipe {
        let linuxCurl: [String: JSONValue] = ["dependencies": ["openssl@3", "libnghttp2", "zlib"]]
        return RegistryRecipe(name: "sample", specs: [
            FormulaSpec(name: "ca-certificates", version: "2024.11.26", targetCompressedSize: 150 * kB,
                        desc: "Mozilla CA certificate store"),
            FormulaSpec(name: "openssl@3", version: "3.4.0", dependencies: ["ca-certificates"],
                        cellar: .any, targetCompressedSize: 1200 * kB,
                        desc: "Cryptography and SSL/TLS Toolkit"),
            FormulaSpec(name: "zlib", version: "1.3.1", cellar: .any, targetCompressedSize: 120 * kB,
                        desc: "General-purpose lossless data-compression library"),
            FormulaSpec(name: "libnghttp2", version: "1.64.0", cellar: .any, targetCompressedSize: 200 * kB,
                        desc: "HTTP/2 C Library"),
            FormulaSpec(name: "curl", version: "8.11.0", dependencies: ["openssl@3", "libnghttp2"],
                        usesFromMacos: [.init("zlib"), .init("krb5", tag: "build")],
                        variations: ["x86_64_linux": linuxCurl, "arm64_linux": linuxCurl],
                        cellar: .any, targetCompressedSize: 700 * kB,
                        desc: "Get a file from an HTTP, HTTPS or FTP server"),
            FormulaSpec(name: "libunistring", version: "1.3", cellar: .any, targetCompressedSize: 500 * kB,
                        desc: "C string library for manipulating Unicode strings"),
            FormulaSpec(name: "gettext", version: "0.22.5", revision: 1, dependencies: ["libunistring"],
                        cellar: .any, targetCompressedSize: 800 * kB,
                        desc: "GNU internationalization (i18n) and localization (l10n) library"),
            FormulaSpec(name: "libidn2", version: "2.3.7", dependencies: ["gettext", "libunistring"],
                        cellar: .any, targetCompressedSize: 250 * kB,
                        desc: "International domain name library (IDNA2008, Punycode and TR46)"),
            FormulaSpec(name: "wget", version: "1.25.0", dependencies: ["libidn2", "openssl@3", "libunistring", "gettext"],
                        targetCompressedSize: 400 * kB, desc: "Internet file retriever"),
            FormulaSpec(name: "hello", version: "2.12.1", dependencies: ["gettext"], aliases: ["hello-world"],
                        oldnames: ["gnu-hello"], targetCompressedSize: 100 * kB, elf: .relocatable,
                        caveats: "hello is friendly.", desc: "Program providing model for GNU coding standards"),
            FormulaSpec(name: "icu4c@76", version: "76.1", kegOnly: true, kegOnlyReason: ":versioned_formula",
                        cellar: .any, targetCompressedSize: 900 * kB,
                        desc: "C/C++ and Java libraries for Unicode and globalization"),
        ])
    }

    /// 25 bottles, ~180 MB compressed, 0.5–40 MB each: ffmpeg on top of the codec libraries, the
    /// shape of Homebrew's real ffmpeg install.
    package static func ffmpegLike() -> RegistryRecipe {
        func spec(_ name: String, _ version: String, _ megabytes: Double, _ deps: [String] = [],
                  cellar: CellarKind = .anySkipRelocation, elf: FormulaSpec.ELFVariant? = nil) -> FormulaSpec {
            FormulaSpec(name: name, version: version, dependencies: deps, cellar: cellar,
                        targetCompressedSize: Int(megabytes * Double(MB)), elf: elf)
        }
        let libraries: [FormulaSpec] = [
            spec("x265", "4.1", 18, cellar: .any, elf: .placeholder),
            spec("x264", "r3108", 4, elf: .relocatable),
            spec("aom", "3.11.0", 15, ["libvorbis"], cellar: .any),
            spec("svt-av1", "2.3.0", 8),
            spec("rav1e", "0.7.1", 16),
            spec("dav1d", "1.5.0", 2, cellar: .any),
            spec("libvpx", "1.15.0", 5),
            spec("lame", "3.100", 1),
            spec("opus", "1.5.2", 0.8, cellar: .any),
            spec("libvorbis", "1.3.7", 1.2, ["libogg"]),
            spec("libogg", "1.3.5", 0.5),
            spec("theora", "1.1.1", 0.6, ["libogg", "libvorbis"]),
            spec("tesseract", "5.5.0", 40, ["leptonica"], cellar: .any),
            spec("leptonica", "1.85.0", 6, ["libpng", "webp", "openjpeg"]),
            spec("libpng", "1.6.44", 0.7, cellar: .any),
            spec("webp", "1.4.0", 2, ["libpng"]),
            spec("openjpeg", "2.5.3", 2.5, ["libpng"]),
            spec("harfbuzz", "10.1.0", 6, ["freetype"], cellar: .any),
            spec("freetype", "2.13.3", 1.5, ["libpng"]),
            spec("libass", "0.17.3", 1, ["freetype", "fribidi", "harfbuzz"]),
            spec("fribidi", "1.0.16", 0.5),
            spec("sdl2", "2.30.10", 4),
            spec("gnutls", "3.8.8", 12, cellar: .any),
            spec("xz", "5.6.3", 1.2),
        ]
        let transitiveOnly: Set<String> = ["libogg", "libpng", "fribidi", "leptonica"]
        let ffmpeg = spec("ffmpeg", "7.1", 30, libraries.map(\.name).filter { !transitiveOnly.contains($0) },
                          elf: .relocatable)
        return RegistryRecipe(name: "ffmpeg-like", specs: [ffmpeg] + libraries)
    }

    /// `count` bottles of a few KB to 100 KB, in a random DAG (each formula depends on up to two
    /// earlier ones), for per-bottle overhead measurements.
    package static func manySmall(count: Int = 1000, seed: UInt64 = 1) -> RegistryRecipe {
        var random = SeededRandom.derived(seed: seed, label: "many-small")
        var specs: [FormulaSpec] = []
        let width = String(max(count, 1)).count
        for index in 0..<max(count, 0) {
            let number = String(repeating: "0", count: max(0, width - String(index).count)) + String(index)
            var deps: [String] = []
            if index > 0 {
                for _ in 0..<random.below(3) {
                    let dependency = specs[random.below(index)].name
                    if !deps.contains(dependency) { deps.append(dependency) }
                }
            }
            // Log-uniform between 4 KB and 100 KB.
            let exponent = Double(random.below(1000)) / 1000.0
            let size = Int(4096.0 * pow(25.0, exponent))
            specs.append(FormulaSpec(name: "small-\(number)", version: "1.\(index % 10).0", dependencies: deps,
                                     targetCompressedSize: size))
        }
        return RegistryRecipe(name: "many-small", specs: specs)
    }

    /// The shape of a distribution's real dependency closure (a media player's: ~230 packages):
    /// one requested formula `deep-root` on top of `levels` layers (default 10, so the dependency
    /// chain is ≥ 9 deep), each formula depending on one formula of the next layer (so every
    /// layer is reachable and the depth is exact) and on up to two random deeper ones. Sizes follow
    /// a fixed quantile spread, log-scaled and skewed to small: most bottles are a few KB to a few
    /// hundred KB, a handful are tens of MB (4 KB … ~32 MB, ~240 MB in all for 230), assigned to
    /// formulae in a seeded random order. The metadata critical path (one formula JSON per
    /// package, level after level) is what this workload exposes.
    public static func deepClosure(count: Int = 230, levels: Int = 10, seed: UInt64 = 1) -> RegistryRecipe {
        var random = SeededRandom.derived(seed: seed, label: "deep-closure")
        let total = max(count, levels)
        let layers = max(levels, 2)
        // Layer of each formula: the root alone in layer 0, the rest spread evenly over 1..<layers.
        var layerOf: [Int] = [0]
        for index in 1..<total { layerOf.append(1 + (index - 1) * (layers - 1) / max(total - 1, 1)) }
        var members: [[Int]] = Array(repeating: [], count: layers)
        for (index, layer) in layerOf.enumerated() { members[layer].append(index) }
        // Sizes: quantiles of 4096 × 10^(3.9 × u⁴), shuffled (Fisher–Yates) so size and depth are unrelated.
        var sizes = (0..<total).map { index -> Int in
            let u = (Double(index) + 0.5) / Double(total)
            return Int(4096.0 * pow(10.0, 3.9 * pow(u, 4)))
        }
        for index in stride(from: total - 1, to: 0, by: -1) { sizes.swapAt(index, random.below(index + 1)) }
        let width = String(total).count
        func name(_ index: Int) -> String {
            index == 0 ? "deep-root" : "deep-" + String(repeating: "0", count: max(0, width - String(index).count)) + String(index)
        }
        var dependencies: [[String]] = Array(repeating: [], count: total)
        // Every formula below the root gets one parent in the layer just above: reachable, depth exact.
        for layer in 1..<layers {
            let parents = members[layer - 1]
            for child in members[layer] { dependencies[parents[random.below(parents.count)]].append(name(child)) }
        }
        // Plus 0–2 edges to random deeper formulae each (shared libraries: the graph is a DAG, not a tree).
        for index in 0..<total where layerOf[index] < layers - 1 {
            let deeper = members[(layerOf[index] + 1)...].flatMap { $0 }
            for _ in 0..<random.below(3) {
                let candidate = name(deeper[random.below(deeper.count)])
                if !dependencies[index].contains(candidate) { dependencies[index].append(candidate) }
            }
        }
        let specs = (0..<total).map { index in
            FormulaSpec(name: name(index), version: "\(1 + index % 7).\(index % 10).0", dependencies: dependencies[index],
                        cellar: index % 3 == 0 ? .any : .anySkipRelocation, targetCompressedSize: sizes[index])
        }
        return RegistryRecipe(name: "deep-closure", specs: specs)
    }

    /// One bottle of about `size` compressed bytes (default 1 GB), written streaming.
    package static func oneHuge(size: Int = 1 << 30) -> RegistryRecipe {
        RegistryRecipe(name: "one-huge", specs: [
            FormulaSpec(name: "huge", version: "1.0.0", targetCompressedSize: size, desc: "One very large bottle"),
        ])
    }
}

