import Foundation
import XCTest
@testable import PourCore

/// Formula text before it is shown: brew's placeholders replaced (formulary.rb#replace_placeholders)
/// and terminal control sequences removed.
final class FormulaTextTests: XCTestCase {
    func testPlaceholdersAreReplacedInBrewsOrder() {
        let layout = PrefixLayout(prefix: "/opt/hb", cache: "/tmp/c")
        let text = "Run $HOMEBREW_PREFIX/bin/x\nKeg $HOMEBREW_CELLAR/x/1.0\nConfig /$HOME/.xrc\n$HOME stays"
        XCTAssertEqual(FormulaPlaceholders.replace(text, layout: layout, home: "/home/u"),
                       "Run /opt/hb/bin/x\nKeg /opt/hb/Cellar/x/1.0\nConfig /home/u/.xrc\n$HOME stays")
        XCTAssertEqual(Formula(name: "x", version: "1", caveats: "$HOMEBREW_PREFIX").caveats(in: layout), "/opt/hb")
        XCTAssertNil(Formula(name: "x", version: "1").caveats(in: layout))
    }

    func testTerminalSequencesAreRemoved() {
        let cases: [(String, String)] = [
            ("plain\ttext\nline", "plain\ttext\nline"),
            ("red \u{1B}[31mword\u{1B}[0m", "red word"),
            ("clear\u{1B}[2J\u{1B}[H!", "clear!"),
            ("title\u{1B}]0;pwned\u{07}done", "titledone"),
            ("link \u{1B}]8;;http://evil\u{1B}\\here\u{1B}]8;;\u{1B}\\", "link here"),
            ("overwrite\rfake", "overwritefake"),
            ("c1 \u{9B}31mx", "c1 x"),
            ("nul\u{0}bel\u{7}del\u{7F}", "nulbeldel"),
            ("dcs\u{1B}Pq#0;2\u{1B}\\end", "dcsend"),
            ("reset\u{1B}c!", "reset!"),
            ("ünïcødé ✔ 🍺", "ünïcødé ✔ 🍺"),
            ("trailing escape\u{1B}", "trailing escape"),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(TerminalText.sanitized(input), expected, input.debugDescription)
        }
    }
}
