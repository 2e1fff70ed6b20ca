/// `pour bundle check`: what a Brewfile still needs, as brew's checker words it
/// (`Library/Homebrew/bundle/brew.rb`: `installed_and_up_to_date?`, `failure_reason`).
///
/// A listed formula needs action when it is not installed; when it is outdated and not pinned
/// (unless `--no-upgrade`); when its entry says `link: false` and it is linked, or `link: true`
/// (or `:overwrite`) and it is not (brew's `expected_link_status?`). Without `link:`, brew expects
/// the state a plain install gives, which needs the keg-only flag; pour does not check that case.
///
/// Thread-safety: a stateless namespace; call it from any thread.
package enum BundleCheck {
    /// One unmet entry.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Problem: Sendable, Equatable, CustomStringConvertible {
        package enum Need: String, Sendable, Equatable {
            case install = "installed"
            case upgrade = "upgraded"
            case unlink = "unlinked"
            case link = "linked"
        }

        package var name: String
        package var need: Need
        package var line: Int

        package var description: String { "Formula \(name) needs to be \(need.rawValue)." }
    }

    /// - Parameter outdated: names of installed formulae whose catalogue version differs; nil when
    ///   outdated formulae are not checked (`--no-upgrade`).
    package static func problems(_ brewfile: Brewfile, inventory: PrefixInventory, outdated: Set<String>?) -> [Problem] {
        var problems: [Problem] = []
        for formula in brewfile.formulae {
            guard let installed = inventory.formula(named: formula.name), !installed.kegs.isEmpty else {
                problems.append(Problem(name: formula.name, need: .install, line: formula.line))
                continue
            }
            if let outdated, outdated.contains(formula.name), !installed.isPinned {
                problems.append(Problem(name: formula.name, need: .upgrade, line: formula.line))
            } else if formula.link == false, installed.linkedVersion != nil {
                problems.append(Problem(name: formula.name, need: .unlink, line: formula.line))
            } else if formula.link == true, installed.linkedVersion == nil {
                problems.append(Problem(name: formula.name, need: .link, line: formula.line))
            }
        }
        return problems
    }
}
