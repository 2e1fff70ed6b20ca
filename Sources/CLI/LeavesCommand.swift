import ArgumentParser
import PourCore

/// `pour leaves`: installed formulae nothing else needs that were not installed as dependencies.
struct LeavesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leaves",
        abstract: "List installed formulae that no other installed formula depends on.",
        discussion: """
            A formula is a leaf when no other installed keg lists it in its receipt's runtime_dependencies \
            and its receipt does not say installed_on_request: false. A receipt without that key counts as \
            on request, as for brew's autoremove.
            """)

    @OptionGroup var prefixOptions: PrefixOptions

    func run() throws {
        for formula in LifecycleCLI.inventory(prefixOptions).leaves() { LifecycleCLI.say(formula.name) }
    }
}
