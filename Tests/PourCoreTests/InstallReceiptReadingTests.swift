import Foundation
import XCTest
@testable import PourCore

/// The byte reader behind `BottleTab.parse` (`InstallReceipt.readTab`) against the
/// `JSONDecoder` reading: wherever the reader answers, the tab (receipt included) is the same;
/// where the meaning is not certain it steps aside and the decoder decides.
final class InstallReceiptReadingTests: XCTestCase {
    /// Tabs in the shapes brew publishes and writes (`sh.brew.tab`, `INSTALL_RECEIPT.json`).
    private let documents = [
        #"{"arch":"x86_64","built_on":{"glibc_version":"2.35","os":"Linux"},"changed_files":["bin/small-0016","lib/pkgconfig/small-0016.pc"],"compiler":"gcc-12","homebrew_version":"4.4.0","runtime_dependencies":[{"declared_directly":true,"full_name":"small-0009"}],"source_modified_time":1704067200,"stdlib":null}"#,
        """
        {
          "homebrew_version": "4.4.2", "used_options": [], "unused_options": ["--with-x"], "built_as_bottle": true,
          "poured_from_bottle": false, "loaded_from_api": true, "loaded_from_internal_api": false,
          "installed_as_dependency": false, "installed_on_request": true,
          "changed_files": ["lib/pkgconfig/libzstd.pc", "bin/zstdgrep"], "time": 1729000000,
          "source_modified_time": 1728500000, "compiler": "gcc-11", "aliases": ["zs"],
          "runtime_dependencies": [
            {"full_name": "lz4", "version": "1.10.0", "revision": 0, "bottle_rebuild": 0,
             "pkg_version": "1.10.0", "declared_directly": true, "uses_from_macos": false},
            {"full_name": "zlib", "version": null, "revision": 2, "pkg_version": "1.3.1_2",
             "declared_directly": "yes", "uses_from_macos": {"since": ["x", null, -4]}}
          ],
          "source": {"path": "/x/zstd.rb", "tap": "homebrew/core", "tap_git_head": "9b1d1e4c", "spec": "stable",
                     "versions": {"stable": "1.5.6", "head": "", "version_scheme": 1, "compatibility_version": null}, "other": [1]},
          "arch": "x86_64", "HEAD": "abc\\u00e9\\ud83d\\ude00",
          "built_on": {"os": "Linux", "os_version": "Ubuntu 22.04.4 LTS", "cpu_family": "x86_64", "xcode": null,
                       "clt": null, "preferred_perl": "5.34", "glibc_version": "2.35", "oldest_cpu_family": "core2"}
        }
        """,
        #"{"homebrew_version":4.4,"changed_files":"bin/a","time":"1","source":"s","built_on":[],"aliases":["a",1]}"#,
        #"{"homebrew_version":null,"changed_files":["a",1,null,{"x":"y"},["z"],"b\u00e9\n\"q\""],"used_options":null}"#,
        #"{"runtime_dependencies":[{"full_name":"x","version":3}],"source":{"versions":"v","spec":null}}"#,
        #"{"runtime_dependencies":[{"version":"1"}],"source":{"versions":{"stable":null,"head":7}}}"#,
        #"{"runtime_dependencies":[null]}"#, #"{"runtime_dependencies":[{"full_name":"a"},"b"]}"#,
        #"{}"#, #"{"installed_on_request":1,"built_as_bottle":"true","time":-0,"revision":[]}"#,
    ]

    private func compare(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let data = Data(text.utf8)
        let reference = BottleTab.parseWithDecoder(data)
        XCTAssertEqual(BottleTab.parse(data), reference, text, file: file, line: line)
        guard let read = InstallReceipt.readTab(data) else { return false }
        XCTAssertEqual(read.receipt, reference?.receipt, text, file: file, line: line)
        XCTAssertEqual(read.changedFileStrings, reference?.changedFiles, text, file: file, line: line)
        XCTAssertEqual(read.receipt.homebrewVersion, reference?.homebrewVersion, text, file: file, line: line)
        return true
    }

    func testTabsReadAsTheDecoderReadsThem() {
        for text in documents {
            XCTAssertTrue(compare(text), "the fast path is taken: \(text.prefix(60))")
        }
        let tab = BottleTab.parse(Data(documents[1].utf8))
        XCTAssertEqual(tab?.receipt?.runtimeDependencies?.last?.extra["uses_from_macos"],
                       .object(["since": .array([.string("x"), .null, .int(-4)])]))
        XCTAssertEqual(tab?.receipt?.extra["HEAD"], .string("abcé😀"))
        XCTAssertNil(tab?.receipt?.source.versions.head, "an empty version reads as none")
    }

    func testUncertainOrMalformedTabsAreLeftToTheDecoder() {
        let uncertain = [
            #"{"time": 1.5}"#, #"{"time": 1.0}"#, #"{"x": 2e3}"#, #"{"arch": "a", "arch": "b"}"#,
            #"{"x": 1, "x": 2}"#, #"{"x": {"a": 1, "a": 2}}"#, #"{"time": 99999999999999999999}"#,
            #"[]"#, #""text""#, #"{"a":"#, "not json", "\u{FEFF}{}", #"{"a": 1,}"#,
        ]
        for text in uncertain {
            XCTAssertNil(InstallReceipt.readTab(Data(text.utf8)), text)
            _ = compare(text)
        }
    }

    /// Random values at random places of the tabs (seeded): the reader steps aside or agrees.
    func testRandomlyMutatedTabsReadLikeTheDecoder() throws {
        let pool: [Any] = [
            NSNull(), true, false, 0, 7, -3, 2.5, "", "x", "1", [Any](), ["a", "b"], ["a", 1, NSNull()],
            [["full_name": "d"]], [["full_name": "d", "version": 1]], [["version": "1"]], [String: Any](),
            ["stable": "1", "head": "", "version_scheme": 2], ["os": "Linux", "extra": [1, 2]], ["a": ["b": NSNull()]],
        ]
        let keys = ["homebrew_version", "used_options", "unused_options", "built_as_bottle", "poured_from_bottle",
                    "loaded_from_api", "loaded_from_internal_api", "installed_as_dependency", "installed_on_request",
                    "changed_files", "time", "source_modified_time", "compiler", "stdlib", "aliases",
                    "runtime_dependencies", "source", "arch", "built_on", "full_name", "version", "revision",
                    "pkg_version", "declared_directly", "path", "tap", "spec", "versions", "stable", "head",
                    "version_scheme", "os", "os_version", "cpu_family", "unknown_field"]
        var answered = 0
        for text in try JSONMutation.documents(from: Array(documents.prefix(2)), count: 300, keys: keys, pool: pool,
                                               seed: 0x7AB5_0001) where compare(text) {
            answered += 1
        }
        XCTAssertGreaterThan(answered, 100, "most mutated tabs take the fast path")
    }
}
