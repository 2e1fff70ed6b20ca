import ArgumentParser
import Foundation
import PourCore

/// `pour info NAME`: one formula as this machine would install it.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a formula: version, dependencies, the bottle for this platform, installed kegs, caveats.")

    @Argument(help: "Formula name, alias or old name.", completion: FormulaCompletion.available)
    var name: String

    @OptionGroup var prefixOptions: PrefixOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let configuration = prefixOptions.configuration()
        let index = try IndexAccess.open(configuration)
        let formula = try IndexAccess.resolve(name, in: index)
        let cellar = Cellar(layout: configuration.layout)
        let kegs = cellar.kegs(name: formula.name).filter(\.hasReceipt)
        let active = kegs.isEmpty ? nil : cellar.activeVersion(of: formula.name)
        if json {
            var bottle: Any = NSNull()
            if let b = formula.bottle {
                bottle = ["tag": b.tag.rawValue, "url": b.url, "sha256": b.sha256, "cellar": b.cellar.jsonValue, "rebuild": b.rebuild]
            }
            try IndexAccess.printJSON([
                "name": formula.name, "full_name": formula.fullName, "tap": formula.tap, "aliases": formula.aliases,
                "oldnames": formula.oldnames, "desc": formula.desc ?? NSNull(), "homepage": formula.homepage ?? NSNull(),
                "license": formula.license ?? NSNull(), "version": formula.version, "revision": formula.revision,
                "pkg_version": formula.pkgVersion, "keg_only": formula.kegOnly,
                "keg_only_reason": formula.kegOnlyReason ?? NSNull(), "deprecated": formula.deprecated,
                "disabled": formula.disabled, "caveats": formula.caveats(in: configuration.layout) ?? NSNull(),
                "dependencies": formula.dependencies, "build_dependencies": formula.buildDependencies,
                "test_dependencies": formula.testDependencies, "recommended_dependencies": formula.recommendedDependencies,
                "optional_dependencies": formula.optionalDependencies, "bottle_tag": index.tag.rawValue, "bottle": bottle,
                "installed": kegs.map { ["pkg_version": $0.pkgVersion, "path": $0.path] },
                "linked_keg": active ?? NSNull(),
            ] as [String: Any])
            return
        }
        var lines: [String] = []
        var title = "\(formula.fullName): stable \(formula.pkgVersion)"
        if formula.kegOnly { title += " [keg-only]" }
        if formula.deprecated { title += " [deprecated]" }
        if formula.disabled { title += " [disabled]" }
        lines.append(title)
        if let desc = formula.desc { lines.append(desc) }
        if let homepage = formula.homepage { lines.append(homepage) }
        if !formula.aliases.isEmpty { lines.append("Aliases: \(formula.aliases.joined(separator: ", "))") }
        if !formula.oldnames.isEmpty { lines.append("Old names: \(formula.oldnames.joined(separator: ", "))") }
        if let license = formula.license { lines.append("License: \(license)") }
        if kegs.isEmpty {
            lines.append("Not installed")
        } else {
            for keg in kegs { lines.append("Installed: \(keg.path)\(keg.pkgVersion == active ? " (active)" : "")") }
        }
        if let bottle = formula.bottle {
            lines.append("Bottle (\(index.tag.rawValue)): \(bottle.tag.rawValue), cellar \(bottle.cellar.jsonValue), rebuild \(bottle.rebuild)")
            lines.append("  \(bottle.url)")
            lines.append("  sha256 \(bottle.sha256)")
        } else {
            lines.append("Bottle (\(index.tag.rawValue)): none")
        }
        let groups: [(String, [String])] = [
            ("Required", formula.dependencies), ("Build", formula.buildDependencies), ("Test", formula.testDependencies),
            ("Recommended", formula.recommendedDependencies), ("Optional", formula.optionalDependencies),
        ]
        let present = groups.filter { !$0.1.isEmpty }
        if !present.isEmpty {
            lines.append("Dependencies")
            for (label, names) in present {
                let marked = names.map { cellar.isInstalled(name: $0) ? "\($0) ✔" : $0 }
                lines.append("  \(label): \(marked.joined(separator: ", "))")
            }
        }
        if formula.kegOnly, let reason = formula.kegOnlyReason { lines.append("Keg-only: \(reason)") }
        if let caveats = formula.caveats(in: configuration.layout) {
            lines.append("Caveats")
            lines.append(caveats.trimmingCharacters(in: .newlines))
        }
        // Every line holds registry text: no escape sequence of a publisher's reaches the terminal.
        FileHandle.standardOutput.write(Data((TerminalText.sanitized(lines.joined(separator: "\n")) + "\n").utf8))
    }
}
