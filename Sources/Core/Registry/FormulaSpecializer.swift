/// Turns one API formula object into the `Formula` pour installs for one bottle tag.
///
/// The steps follow what Homebrew does when it loads a formula from the API (`api.rb`
/// merge_variations, `formulary.rb`): overlay `variations[tag]`, fold `uses_from_macos` into the
/// dependency lists where it applies, drop keg-only reasons that only hold on macOS, then pick
/// the bottle file through `tag.fallbackChain`. Stateless; safe from any queue.
package enum FormulaSpecializer {
    /// Homebrew's default bottle root.
    package static let defaultRootURL = "https://ghcr.io/v2/homebrew/core"

    /// Keg-only reasons that do not apply on Linux: there is no macOS copy to shadow.
    static let macOSOnlyKegOnlyReasons: Set<String> = ["provided_by_macos", "shadowed_by_macos"]

    /// macOS codenames newest first, extended past `BottleTag`'s list so `since:` bounds naming
    /// old releases still compare.
    static let macOSReleases = BottleTag.macOSCodenames + ["high_sierra", "sierra", "el_capitan", "yosemite"]

    /// Specialises `json` for `tag`. Throws `.missingField` when `name` or `versions.stable` is absent.
    package static func formula(from json: FormulaJSON, tag: BottleTag) throws(RegistryError) -> Formula {
        let merged = json.merged(for: tag)
        guard let name = nonEmpty(merged.name) else {
            throw .missingField(formula: nonEmpty(merged.fullName) ?? "(unnamed formula)", field: "name")
        }
        guard let version = nonEmpty(merged.versions?.stable) else {
            throw .missingField(formula: name, field: "versions.stable")
        }

        let dependencies = dependencyLists(of: merged, tag: tag)
        let reason = merged.kegOnlyReason?.reason.map(symbolName)
        let declaredKegOnly = merged.kegOnly ?? (reason != nil)
        let reasonApplies = !(tag.isLinux && reason.map(macOSOnlyKegOnlyReasons.contains) == true)
        let kegOnly = declaredKegOnly && reasonApplies

        return Formula(
            name: name,
            fullName: nonEmpty(merged.fullName) ?? name,
            tap: nonEmpty(merged.tap) ?? "homebrew/core",
            aliases: unique(merged.aliases ?? []),
            oldnames: unique((merged.oldnames ?? []) + [merged.oldname].compactMap(nonEmpty)),
            desc: merged.desc,
            homepage: merged.homepage,
            license: merged.license,
            version: version,
            revision: max(0, merged.revision ?? 0),
            versionScheme: merged.versionScheme ?? 0,
            dependencies: dependencies.runtime,
            buildDependencies: dependencies.build,
            testDependencies: dependencies.test,
            recommendedDependencies: dependencies.recommended,
            optionalDependencies: dependencies.optional,
            bottle: bottle(of: merged, name: name, tag: tag),
            kegOnly: kegOnly,
            kegOnlyReason: kegOnly ? merged.kegOnlyReason?.reason : nil,
            caveats: nonEmpty(merged.caveats),
            conflictsWith: unique(merged.conflictsWith ?? []),
            linkOverwrite: unique(merged.linkOverwrite ?? []),
            deprecated: merged.deprecated ?? false,
            disabled: merged.disabled ?? false,
            postInstallDefined: merged.postInstallDefined ?? false)
    }

    // MARK: Dependencies

    struct DependencyLists {
        var runtime: [String] = []
        var build: [String] = []
        var test: [String] = []
        var recommended: [String] = []
        var optional: [String] = []
    }

    static func dependencyLists(of json: FormulaJSON, tag: BottleTag) -> DependencyLists {
        let uses = json.usesFromMacOS ?? []
        // Documents written before `uses_from_macos_bounds` existed also listed Linux
        // `uses_from_macos` names in the plain lists; Homebrew skips them there and lets the
        // `uses_from_macos` entry (with its build/test tags) decide, and so do we.
        let legacyNames: Set<String> = tag.isLinux && !json.presentFields.contains(.usesFromMacOSBounds) ? Set(uses.map(\.name)) : []
        let keep: (String) -> Bool = { !$0.isEmpty && !legacyNames.contains($0) }

        var lists = DependencyLists()
        lists.runtime = (json.dependencies ?? []).filter(keep)
        lists.build = (json.buildDependencies ?? []).filter(keep)
        lists.test = (json.testDependencies ?? []).filter(keep)
        lists.recommended = (json.recommendedDependencies ?? []).filter(keep)
        lists.optional = (json.optionalDependencies ?? []).filter(keep)

        for entry in json.taggedDependencies ?? [] where keep(entry.name) {
            route(entry, into: &lists)
        }
        let bounds = json.usesFromMacOSBounds ?? []
        for (index, use) in uses.enumerated() where !use.name.isEmpty {
            let since = index < bounds.count ? bounds[index].since : nil
            guard usesFromMacOSApplies(tag: tag, since: since) else { continue }
            route(use, into: &lists)
        }

        lists.runtime = unique(lists.runtime)
        lists.build = unique(lists.build)
        lists.test = unique(lists.test)
        lists.recommended = unique(lists.recommended)
        lists.optional = unique(lists.optional)
        return lists
    }

    /// Files a dependency under each of its tags; untagged (or tagged only with something pour
    /// does not know, which Homebrew would still install) means runtime.
    static func route(_ entry: FormulaJSON.UsesFromMacOS, into lists: inout DependencyLists) {
        let tags = Set(entry.tags)
        if tags.isDisjoint(with: ["build", "test", "recommended", "optional"]) { lists.runtime.append(entry.name) }
        if tags.contains("build") { lists.build.append(entry.name) }
        if tags.contains("test") { lists.test.append(entry.name) }
        if tags.contains("recommended") { lists.recommended.append(entry.name) }
        if tags.contains("optional") { lists.optional.append(entry.name) }
    }

    /// On Linux every `uses_from_macos` entry is a real dependency; on macOS only when the
    /// system is older than its `since:` bound (the macOS copy appeared in that release).
    static func usesFromMacOSApplies(tag: BottleTag, since: String?) -> Bool {
        if tag.isLinux { return true }
        guard let since = since.map(symbolName),
              let sinceIndex = macOSReleases.firstIndex(of: since),
              let tagIndex = macOSReleases.firstIndex(of: macOSCodename(of: tag)) else { return false }
        return tagIndex > sinceIndex  // newest first: a larger index is an older release
    }

    static func macOSCodename(of tag: BottleTag) -> String {
        tag.rawValue.hasPrefix("arm64_") ? String(tag.rawValue.dropFirst("arm64_".count)) : tag.rawValue
    }

    // MARK: Bottle

    /// The first usable file along `tag.fallbackChain`. A file without a 64-hex-digit checksum
    /// cannot be verified, so it counts as absent and the chain moves on.
    static func bottle(of json: FormulaJSON, name: String, tag: BottleTag) -> Bottle? {
        guard let spec = json.bottle?.stable, let files = spec.files, !files.isEmpty else { return nil }
        let rootURL = nonEmpty(spec.rootURL) ?? defaultRootURL
        for candidate in tag.fallbackChain {
            guard let file = files[candidate.rawValue],
                  let sha256 = nonEmpty(file.sha256)?.lowercased(), isSHA256(sha256) else { continue }
            let url = nonEmpty(file.url) ?? "\(rootURL)/\(imageName(of: name))/blobs/sha256:\(sha256)"
            let cellar = nonEmpty(file.cellar).map(CellarKind.init(jsonValue:))
                ?? .pinned(defaultCellar(for: candidate.rawValue == "all" ? tag : candidate))
            return Bottle(tag: candidate, url: url, sha256: sha256, cellar: cellar,
                          rebuild: max(0, spec.rebuild ?? 0), rootURL: rootURL)
        }
        return nil
    }

    /// The Cellar a bottle was built for when its `cellar` is omitted (Homebrew's per-tag default).
    static func defaultCellar(for tag: BottleTag) -> String {
        if tag.isLinux { return "/home/linuxbrew/.linuxbrew/Cellar" }
        return tag.rawValue.hasPrefix("arm64_") ? "/opt/homebrew/Cellar" : "/usr/local/Cellar"
    }

    /// The registry image of a formula: `openssl@3` → `openssl/3`, `libxml++` → `libxmlxx`.
    static func imageName(of name: String) -> String {
        name.replacingOccurrences(of: "@", with: "/").replacingOccurrences(of: "+", with: "x")
    }

    static func isSHA256(_ value: String) -> Bool {
        value.utf8.count == 64 && value.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    // MARK: Helpers

    /// `":provided_by_macos"` → `"provided_by_macos"`: the API renders Ruby symbols with a colon.
    static func symbolName(_ symbol: String) -> String {
        symbol.hasPrefix(":") ? String(symbol.dropFirst()) : symbol
    }

    static func nonEmpty(_ string: String?) -> String? {
        guard let string, !string.isEmpty else { return nil }
        return string
    }

    /// Drops repeats, keeping each element's first position.
    static func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}

extension FormulaJSON {
    /// This object as Homebrew sees it on `tag`: `variations[tag]` overlaid key by key onto the
    /// top level (a key the variation carries replaces the top-level value wholesale, even with
    /// null), and `variations` removed. Only the exact tag is consulted, as in Homebrew.
    package func merged(for tag: BottleTag) -> FormulaJSON {
        var result = self
        result.variations = nil
        result.presentFields.remove(.variations)
        guard let variation = variations?[tag.rawValue] else { return result }

        func take<Value>(_ field: Field, _ keyPath: WritableKeyPath<FormulaJSON, Value>) {
            guard variation.presentFields.contains(field) else { return }
            result[keyPath: keyPath] = variation[keyPath: keyPath]
            result.presentFields.insert(field)
        }
        take(.name, \.name)
        take(.fullName, \.fullName)
        take(.tap, \.tap)
        take(.oldnames, \.oldnames)
        take(.oldname, \.oldname)
        take(.aliases, \.aliases)
        take(.desc, \.desc)
        take(.homepage, \.homepage)
        take(.license, \.license)
        take(.versions, \.versions)
        take(.revision, \.revision)
        take(.versionScheme, \.versionScheme)
        take(.bottle, \.bottle)
        take(.kegOnly, \.kegOnly)
        take(.kegOnlyReason, \.kegOnlyReason)
        take(.dependencies, \.dependencies)
        take(.dependencies, \.taggedDependencies)
        take(.buildDependencies, \.buildDependencies)
        take(.testDependencies, \.testDependencies)
        take(.recommendedDependencies, \.recommendedDependencies)
        take(.optionalDependencies, \.optionalDependencies)
        take(.usesFromMacOS, \.usesFromMacOS)
        take(.usesFromMacOSBounds, \.usesFromMacOSBounds)
        take(.conflictsWith, \.conflictsWith)
        take(.linkOverwrite, \.linkOverwrite)
        take(.caveats, \.caveats)
        take(.deprecated, \.deprecated)
        take(.disabled, \.disabled)
        take(.postInstallDefined, \.postInstallDefined)
        return result
    }
}
