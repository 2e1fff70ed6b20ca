import Foundation
import PourCore

/// Renders a spec in the exact shape of Homebrew's formula API (`formula.rb#to_hash`), so pour's
/// real parser is what reads the local registry.
enum FormulaJSON {
    static let rootURL = "https://ghcr.io/v2/homebrew/core"

    static func object(for spec: FormulaSpec, sha256: String) -> [String: Any] {
        var files: [String: Any] = [:]
        for tag in spec.tags {
            files[tag] = [
                "cellar": spec.cellar.jsonValue,
                "url": "\(rootURL)/\(spec.image)/blobs/sha256:\(sha256)",
                "sha256": sha256,
            ]
        }
        let usesFromMacos: [Any] = spec.usesFromMacos.map { use in
            if let tag = use.tag { return [use.name: tag] as [String: Any] }
            return use.name
        }
        let bounds: [Any] = spec.usesFromMacos.map { $0.bounds }
        let kegOnlyReason: Any = spec.kegOnly || spec.kegOnlyReason != nil
            ? ["reason": spec.kegOnlyReason ?? ":versioned_formula",
               "explanation": "this formula was generated for tests"] as [String: Any]
            : NSNull()
        let firstLetter = spec.name.first.map { String($0).lowercased() } ?? "_"
        return [
            "name": spec.name,
            "full_name": spec.name,
            "tap": "homebrew/core",
            "oldnames": spec.oldnames,
            "aliases": spec.aliases,
            "versioned_formulae": [String](),
            "desc": spec.desc ?? "Generated formula \(spec.name)",
            "license": "MIT",
            "homepage": "https://example.invalid/\(spec.name)",
            "versions": ["stable": spec.version, "head": NSNull(), "bottle": true] as [String: Any],
            "urls": ["stable": [
                "url": "https://example.invalid/\(spec.name)-\(spec.version).tar.gz",
                "tag": NSNull(), "revision": NSNull(), "using": NSNull(),
                "checksum": FileDigest.sha256(of: Array("\(spec.name)-\(spec.version)".utf8)),
            ] as [String: Any]],
            "revision": spec.revision,
            "version_scheme": 0,
            "bottle": ["stable": ["rebuild": 0, "root_url": rootURL, "files": files] as [String: Any]],
            "pour_bottle_only_if": NSNull(),
            "keg_only": spec.kegOnly,
            "keg_only_reason": kegOnlyReason,
            "options": [Any](),
            "build_dependencies": spec.buildDependencies,
            "dependencies": spec.dependencies,
            "test_dependencies": [String](),
            "recommended_dependencies": spec.recommendedDependencies,
            "optional_dependencies": spec.optionalDependencies,
            "uses_from_macos": usesFromMacos,
            "uses_from_macos_bounds": bounds,
            "requirements": [Any](),
            "conflicts_with": spec.conflictsWith,
            "conflicts_with_reasons": spec.conflictsWith.map { _ in "both install the same files" },
            "link_overwrite": spec.linkOverwrite,
            "caveats": spec.caveats.map { $0 as Any } ?? NSNull(),
            "installed": [Any](),
            "linked_keg": NSNull(),
            "pinned": false,
            "outdated": false,
            "deprecated": false,
            "deprecation_date": NSNull(),
            "deprecation_reason": NSNull(),
            "disabled": false,
            "disable_date": NSNull(),
            "disable_reason": NSNull(),
            "post_install_defined": spec.postInstall != nil,
            "service": NSNull(),
            "tap_git_head": "0000000000000000000000000000000000000000",
            "ruby_source_path": "Formula/\(firstLetter)/\(spec.name).rb",
            "ruby_source_checksum": ["sha256": FileDigest.sha256(of: Array(BottleBuilder.formulaRuby(spec).utf8))],
            "variations": spec.variations.mapValues { overlay in overlay.mapValues(\.foundationObject) },
        ]
    }

    /// The OCI image index ghcr serves at `manifests/<pkg_version>`: one manifest per tag whose
    /// annotations carry the bottle digest, its size and the receipt (`sh.brew.tab`).
    static func imageIndex(for spec: FormulaSpec, sha256: String, size: Int, installedSize: Int,
                           changedFiles: [String]) -> [String: Any] {
        let tab: [String: Any] = [
            "homebrew_version": "4.4.0",
            "changed_files": changedFiles,
            "source_modified_time": 1_704_067_200,
            "compiler": "gcc-12",
            "stdlib": NSNull(),
            "runtime_dependencies": spec.dependencies.map { ["full_name": $0, "declared_directly": true] },
            "arch": "x86_64",
            "built_on": ["os": "Linux", "glibc_version": "2.35"],
        ]
        let tabText = String(decoding: (try? JSONSerialization.data(withJSONObject: tab, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data(),
                             as: UTF8.self)
        let manifests: [[String: Any]] = spec.tags.map { tag in
            let architecture = tag.hasPrefix("arm64") ? "arm64" : "amd64"
            return [
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:" + FileDigest.sha256(of: Array("\(sha256)/\(tag)".utf8)),
                "size": 1024,
                "platform": ["architecture": architecture, "os": "linux"],
                "annotations": [
                    "org.opencontainers.image.ref.name": "\(spec.pkgVersion).\(tag)",
                    "sh.brew.bottle.cpu.variant": "",
                    "sh.brew.bottle.digest": sha256,
                    "sh.brew.bottle.size": String(size),
                    "sh.brew.bottle.installed_size": String(installedSize),
                    "sh.brew.tab": tabText,
                ],
            ]
        }
        return [
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests,
            "annotations": [
                "com.github.package.type": "homebrew_bottle",
                "org.opencontainers.image.ref.name": spec.pkgVersion,
                "org.opencontainers.image.title": "\(spec.name) \(spec.pkgVersion)",
            ],
        ]
    }
}
