import Foundation
import XCTest
@testable import PourCore

/// `BottleTab.parse` reads the tab in one `JSONDecoder` pass; it must keep what the former
/// `JSONSerialization` reading gave for the two fields relocation uses, on odd documents too.
final class BottleTabTests: XCTestCase {
    /// The former reading of the two fields (the reference).
    private func reference(_ text: String) -> (version: String?, changed: [String]?)? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return nil }
        return (object["homebrew_version"] as? String,
                (object["changed_files"] as? [Any]).map { $0.compactMap { $0 as? String } })
    }

    func testFieldsMatchTheFormerReadingOnOddDocuments() throws {
        let documents = [
            #"{"homebrew_version":"4.4.1","changed_files":["bin/a","lib/b.pc"]}"#,
            #"{"homebrew_version":4.4,"changed_files":"bin/a"}"#,
            #"{"homebrew_version":null,"changed_files":null}"#,
            #"{"changed_files":["a",1,null,{"x":"y"},["z"],"b\u00e9\n\"q\""]}"#,
            #"{"homebrew_version":"5.0.0"}"#,
            #"{}"#,
            #"[]"#,
            #""just text""#,
            #"{"homebrew_version":"1.0","#,
            "not json",
            #"{"homebrew_version":"4.0.0","built_on":{"os":"Linux"},"runtime_dependencies":[{"full_name":"x"}],"changed_files":[]}"#,
        ]
        for text in documents {
            let tab = BottleTab.parse(Data(text.utf8))
            guard let expected = reference(text) else {
                XCTAssertNil(tab, text)
                continue
            }
            let parsed = try XCTUnwrap(tab, text)
            XCTAssertEqual(parsed.homebrewVersion, expected.version, text)
            XCTAssertEqual(parsed.changedFiles, expected.changed, text)
        }
    }

    func testTheReceiptComesFromTheSameParse() throws {
        let text = #"{"homebrew_version":"4.4.1","changed_files":["bin/a"],"runtime_dependencies":[{"full_name":"dep","version":"1.0"}],"source":{"spec":"stable","versions":{"stable":"2.0"}}}"#
        let tab = try XCTUnwrap(BottleTab.parse(Data(text.utf8)))
        XCTAssertEqual(tab.receipt, try JSONDecoder().decode(InstallReceipt.self, from: Data(text.utf8)))
        XCTAssertEqual(tab.receipt?.runtimeDependencies?.first?.fullName, "dep")
    }

    /// The published tab is remembered beside the cached bottle (no temporary left behind) and
    /// read back when no manifest was fetched.
    func testPublishedTabIsRememberedBesideTheCachedBottle() throws {
        let root = NSTemporaryDirectory() + "tab-sidecar-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = PrefixLayout(prefix: root + "/prefix", cache: root + "/cache")
        try FileManager.default.createDirectory(atPath: layout.downloads, withIntermediateDirectories: true)
        let bottle = layout.downloads + "/abc--tool--1.0.x86_64_linux.bottle.tar.gz"
        let tab = #"{"homebrew_version":"4.4.1","changed_files":["bin/a"]}"#
        XCTAssertEqual(BottleTab.publishedTab(fetched: tab, bottlePath: bottle, layout: layout), tab)
        XCTAssertEqual(try String(contentsOfFile: bottle + ".tab.json", encoding: .utf8), tab)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: layout.downloads),
                       ["abc--tool--1.0.x86_64_linux.bottle.tar.gz.tab.json"])
        XCTAssertEqual(BottleTab.publishedTab(fetched: nil, bottlePath: bottle, layout: layout), tab)
        // A newer manifest replaces it.
        let newer = #"{"homebrew_version":"5.0.0"}"#
        _ = BottleTab.publishedTab(fetched: newer, bottlePath: bottle, layout: layout)
        XCTAssertEqual(BottleTab.publishedTab(fetched: nil, bottlePath: bottle, layout: layout), newer)
    }
}
