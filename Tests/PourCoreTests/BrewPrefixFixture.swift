import Foundation
import PourCore

/// A prefix laid out the way brew itself leaves one: kegs with brew-written receipts (in brew's
/// `Tab#to_json` field order, including an old one without `installed_on_request`), relative
/// symlinks in bin/lib/share/opt and `var/homebrew/linked` records.
final class BrewPrefixFixture {
    let root: String
    let layout: PrefixLayout

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("pour-brew-\(UUID().uuidString)").path
        layout = PrefixLayout(prefix: root + "/prefix", cache: root + "/cache")
        try FileManager.default.createDirectory(atPath: layout.cellar, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: layout.downloads, withIntermediateDirectories: true)
    }

    func destroy() { try? FileManager.default.removeItem(atPath: root) }

    var prefix: String { layout.prefix }

    /// A keg with bin/<name>, lib/lib<name>.so and share/doc/<name>/README and brew's receipt.
    /// `onRequest` nil writes an old-style receipt that lacks `installed_on_request`.
    func keg(_ name: String, _ version: String, onRequest: Bool?, dependencies: [String] = [],
             homebrewVersion: String = "4.4.2", receipt: Bool = true, poured: Bool = true) throws {
        let keg = layout.keg(name, version)
        try write(keg + "/bin/" + name, "#!/bin/sh\necho \(name) \(version)\n", mode: 0o755)
        try write(keg + "/lib/lib\(name).so", "not really a library")
        try write(keg + "/share/doc/\(name)/README", "\(name) \(version)\n")
        guard receipt else { return }
        let deps = dependencies.map { dep in
            """
                {
                  "full_name": "\(dep)",
                  "version": "1.0",
                  "revision": 0,
                  "bottle_rebuild": 0,
                  "pkg_version": "1.0",
                  "declared_directly": true
                }
            """
        }.joined(separator: ",\n")
        let request: String
        switch onRequest {
        case let value?: request = "  \"installed_as_dependency\": \(!value),\n  \"installed_on_request\": \(value),\n"
        case nil: request = "  \"installed_as_dependency\": true,\n"  // brew < 1.9 wrote only this
        }
        let json = """
        {
          "homebrew_version": "\(homebrewVersion)",
          "used_options": [],
          "unused_options": [],
          "built_as_bottle": true,
          "poured_from_bottle": \(poured),
          "loaded_from_api": true,
        \(request)  "changed_files": ["bin/\(name)"],
          "time": 1726000000,
          "source_modified_time": 1725000000,
          "compiler": "gcc-12",
          "aliases": [],
          "runtime_dependencies": [
        \(deps)
          ],
          "source": {
            "path": "\(layout.prefix)/Library/Taps/homebrew/homebrew-core/Formula/\(name).rb",
            "tap": "homebrew/core",
            "tap_git_head": null,
            "spec": "stable",
            "versions": {"stable": "\(version)", "head": null, "version_scheme": 0, "compatibility_version": null}
          },
          "arch": "x86_64",
          "built_on": {"os": "Linux", "os_version": "Debian 12", "cpu_family": "x86_64", "glibc_version": "2.36"}
        }
        """
        try write(keg + "/INSTALL_RECEIPT.json", json)
    }

    /// brew's links for a keg made by `keg(...)`: opt, bin, lib, share/doc/<name> and the record.
    func brewLink(_ name: String, _ version: String) throws {
        try symlink("opt/\(name)", "../Cellar/\(name)/\(version)")
        try symlink("bin/\(name)", "../Cellar/\(name)/\(version)/bin/\(name)")
        try symlink("lib/lib\(name).so", "../Cellar/\(name)/\(version)/lib/lib\(name).so")
        try symlink("share/doc/\(name)", "../../Cellar/\(name)/\(version)/share/doc/\(name)")
        try symlink("var/homebrew/linked/\(name)", "../../../Cellar/\(name)/\(version)")
    }

    func symlink(_ relative: String, _ target: String) throws {
        let path = prefix + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    func write(_ path: String, _ text: String, mode: Int = 0o644) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    func exists(_ relative: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: prefix + "/" + relative)) != nil
    }

    func linkTarget(_ relative: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: prefix + "/" + relative)
    }

    func lock() throws -> PrefixLock { try LifecycleLock.acquire(layout: layout, wait: false) }

    var inventory: PrefixInventory { PrefixInventory.read(layout: layout) }

    /// The standard brew-made prefix the tests share:
    /// - git 2.47.0 (on request) → pcre2 (dependency)
    /// - gettext (old receipt without installed_on_request, nobody needs it)
    /// - libunused (dependency, nobody needs it) → libdeep (dependency)
    /// - jq 1.6 and 1.7.1 (on request), 1.7.1 linked
    static func standard() throws -> BrewPrefixFixture {
        let f = try BrewPrefixFixture()
        try f.keg("pcre2", "10.44", onRequest: false)
        try f.keg("git", "2.47.0", onRequest: true, dependencies: ["pcre2"])
        try f.keg("gettext", "0.22.5_1", onRequest: nil, homebrewVersion: "1.8.6")
        try f.keg("libdeep", "1.0", onRequest: false)
        try f.keg("libunused", "2.1", onRequest: false, dependencies: ["homebrew/core/libdeep"])
        try f.keg("jq", "1.6", onRequest: true)
        try f.keg("jq", "1.7.1", onRequest: true)
        for (name, version) in [("pcre2", "10.44"), ("git", "2.47.0"), ("gettext", "0.22.5_1"), ("libdeep", "1.0"),
                                ("libunused", "2.1"), ("jq", "1.7.1")] {
            try f.brewLink(name, version)
        }
        return f
    }
}
