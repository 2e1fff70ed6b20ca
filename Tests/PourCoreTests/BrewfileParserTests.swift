@testable import PourCore
import XCTest

/// `BrewfileParser`: which entries are installed, and which lines are reported with what.
final class BrewfileParserTests: XCTestCase {
    private func parse(_ text: String, isLinux: Bool = true) throws -> Brewfile {
        try BrewfileParser.parse(text, path: "/w/Brewfile", isLinux: isLinux)
    }

    private func notice(_ brewfile: Brewfile, line: Int) -> BrewfileNotice? { brewfile.notices.first { $0.line == line } }

    func testEntriesOptionsAndComments() throws {
        let brewfile = try parse("""
            # comment
            tap "homebrew/core"
            tap "Homebrew/homebrew-cask"
            brew "Wget"   # trailing comment with "quotes"
            brew 'jq', link: false
            brew("homebrew/core/curl", args: ["with-openssl"], restart_service: :changed)
            brew "acme/homebrew-tools/widget"
            brew "git", conflicts_with: ["git-gui"],
                        link: :overwrite
            brew "zstd", :link => false
            brew "wget"
            """)
        XCTAssertEqual(brewfile.formulae.map(\.name), ["wget", "jq", "curl", "git", "zstd"])
        XCTAssertEqual(brewfile.formulae.map(\.line), [4, 5, 6, 8, 10])
        XCTAssertEqual(brewfile.unlinkedNames, ["jq", "zstd"])
        XCTAssertEqual(brewfile.taps.map(\.name), ["homebrew/core"])
        XCTAssertEqual(notice(brewfile, line: 3)?.kind, .unsupportedTap)
        XCTAssertEqual(brewfile.formulae[2].unsupportedOptions, ["args", "restart_service"])
        XCTAssertEqual(brewfile.notices.filter { $0.line == 6 }.map(\.kind), [.unsupportedOption, .unsupportedOption])
        XCTAssertEqual(notice(brewfile, line: 7)?.kind, .unsupportedTap)
        XCTAssertTrue(notice(brewfile, line: 7)?.message.contains("acme/tools") == true, "\(brewfile.notices)")
        XCTAssertEqual(brewfile.notices.filter { $0.line == 8 }.map(\.kind), [.unsupportedOption], "conflicts_with only")
        XCTAssertEqual(brewfile.formulae[3].link, true)
        XCTAssertTrue(brewfile.formulae[3].linkOverwrite)
        XCTAssertEqual(brewfile.forceLinked.map(\.name), ["git"])
    }

    func testOtherEntryTypesAreSkipped() throws {
        let brewfile = try parse("""
            cask "firefox"
            cask_args appdir: "/Applications"
            mas "Xcode", id: 497799835
            vscode "ms-python.python"
            whalebrew "whalebrew/wget"
            go "github.com/x/y"
            """)
        XCTAssertTrue(brewfile.formulae.isEmpty)
        XCTAssertEqual(brewfile.notices.map(\.line), [1, 2, 3, 4, 5, 6])
        XCTAssertTrue(brewfile.notices.allSatisfy { $0.kind == .skippedType })
    }

    func testPlatformConditionsAreEvaluatedOthersReported() throws {
        let text = """
            brew "a" if OS.linux?
            brew "b" if OS.mac?
            brew "c" unless OS.mac?
            if OS.mac?
              brew "d"
            else
              brew "e"
            end
            if ENV["CI"]
              brew "f"
            end
            %w[g h].each do |name|
              brew name
            end
            brew "i" if ENV.fetch("X", nil)
            unless OS.linux?
              if OS.mac?
                brew "j"
              end
            end
            brew "k"
            """
        let linux = try parse(text, isLinux: true)
        XCTAssertEqual(linux.formulae.map(\.name), ["a", "c", "e", "k"])
        XCTAssertEqual(notice(linux, line: 2)?.kind, .conditionFalse)
        XCTAssertEqual(notice(linux, line: 5)?.kind, .conditionFalse)
        XCTAssertEqual(notice(linux, line: 10)?.kind, .unevaluated)
        XCTAssertTrue(notice(linux, line: 10)?.message.contains("(line 9)") == true, "\(linux.notices)")
        XCTAssertEqual(notice(linux, line: 13)?.kind, .unevaluated)
        XCTAssertEqual(notice(linux, line: 15)?.kind, .unevaluated)
        XCTAssertEqual(notice(linux, line: 18)?.kind, .conditionFalse)
        let mac = try parse(text, isLinux: false)
        XCTAssertEqual(mac.formulae.map(\.name), ["b", "d", "j", "k"])
    }

    func testMalformedEntriesNameTheLine() {
        for (text, line) in [("brew \"ok\"\nbrew \"unterminated\n", 2), ("\n\nbrew\n", 3), ("brew \"x\", [\n", 1),
                             ("if OS.mac?\n  brew \"x\"\n", 1), ("end\n", 1), ("brew 42\n", 1)] {
            XCTAssertThrowsError(try parse(text), text) { error in
                guard case .syntax(let path, let reported, _)? = error as? BrewfileError else { return XCTFail("\(error)") }
                XCTAssertEqual(path, "/w/Brewfile")
                XCTAssertEqual(reported, line, text)
                XCTAssertTrue("\(error)".hasPrefix("/w/Brewfile:\(line): "), "\(error)")
            }
        }
    }

    func testUnknownStatementsAreReportedNotFatal() throws {
        let brewfile = try parse("""
            instance_eval(File.read("other"))
            brew "x"
            """)
        XCTAssertEqual(brewfile.formulae.map(\.name), ["x"])
        XCTAssertEqual(notice(brewfile, line: 1)?.kind, .ignored)
    }
}
