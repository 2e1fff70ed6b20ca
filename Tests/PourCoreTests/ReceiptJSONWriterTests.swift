import Foundation
import XCTest
@testable import PourCore

/// `ReceiptJSONWriter` against `JSONEncoder`: the same JSON, the same lines (layout, escapes),
/// brew's key order; a receipt holding a floating-point value is left to `JSONEncoder`.
final class ReceiptJSONWriterTests: XCTestCase {
    private let layout = PrefixLayout(prefix: "/home/linuxbrew/.linuxbrew", cache: "/tmp/pour-cache")

    private var receipts: [InstallReceipt] {
        let formula = Formula(name: "wget", aliases: ["wget2-compat"], version: "1.24.5", revision: 1, versionScheme: 2)
        let deps = [InstallReceipt.Dependency(Formula(name: "openssl@3", version: "3.3.2"), declaredDirectly: true),
                    InstallReceipt.Dependency(Formula(name: "ca-certificates", version: "2024-09-24"), declaredDirectly: false)]
        let plain = InstallReceipt.poured(formula: formula, installedOnRequest: true, runtimeDependencies: deps,
                                          changedFiles: ["etc/wgetrc", "lib/pkgconfig/x.pc"], layout: layout, time: 1_700_000_000)
        var odd = InstallReceipt.poured(formula: Formula(name: "odd", version: "1"), installedOnRequest: false,
                                        runtimeDependencies: [], changedFiles: [], layout: layout, time: -1)
        odd.homebrewVersion = "4.5.0-\"quoted\" \\ back/slash\n\t\r\u{8}\u{C}\u{1}\u{1F}\u{7F} é 😀 \u{2028}"
        odd.loadedFromInternalAPI = nil
        odd.changedFiles = nil
        odd.time = nil
        odd.runtimeDependencies = nil
        odd.builtOn = nil
        odd.arch = nil
        odd.extra = ["HEAD": .string("abc"), "a_list": .array([.null, .bool(false), .int(-7), .array([]), .object([:])]),
                     "nested": .object(["one": .array([.string("x")])]), "empty": .object([:])]
        var withExtras = plain
        withExtras.source.extra = ["z": .null]
        withExtras.source.versions.extra = ["compatibility_version": .null]
        withExtras.builtOn?.extra = ["glibc_version": .string("2.35"), "xcode": .null]
        withExtras.runtimeDependencies?[0].extra = ["bottle_rebuild": .int(0), "uses_from_macos": .bool(false)]
        withExtras.aliases = []
        return [plain, odd, withExtras]
    }

    func testSameJSONAndSameLinesAsJSONEncoder() throws {
        for receipt in receipts {
            let written = try XCTUnwrap(ReceiptJSONWriter.data(for: receipt))
            let encoded = try receipt.jsonDataWithEncoder()
            let ours = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(written)) as? NSDictionary)
            let theirs = try XCTUnwrap(JSONSerialization.jsonObject(with: encoded) as? NSDictionary)
            XCTAssertEqual(ours, theirs)
            // Same layout and escapes: the same lines once the order-dependent commas are dropped.
            func lines(_ bytes: Data) -> [String] {
                String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                    .map { $0.hasSuffix(",") ? String($0.dropLast()) : String($0) }.sorted()
            }
            XCTAssertEqual(lines(Data(written)), lines(encoded))
            XCTAssertEqual(try JSONDecoder().decode(InstallReceipt.self, from: Data(written)), receipt)
            XCTAssertEqual(try receipt.jsonData(), Data(written))
        }
    }

    func testKeysComeInBrewsOrder() throws {
        let text = String(decoding: try XCTUnwrap(ReceiptJSONWriter.data(for: receipts[0])), as: UTF8.self)
        let top = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.split(separator: "\"")[1] }
        XCTAssertEqual(top, ["homebrew_version", "used_options", "unused_options", "built_as_bottle", "poured_from_bottle",
                             "loaded_from_api", "loaded_from_internal_api", "installed_as_dependency", "installed_on_request",
                             "changed_files", "time", "source_modified_time", "compiler", "stdlib", "aliases",
                             "runtime_dependencies", "source", "arch", "built_on"])
        XCTAssertEqual(ReceiptJSONWriter.data(for: receipts[0]), ReceiptJSONWriter.data(for: receipts[0]))
    }

    func testFloatingPointExtrasAreLeftToJSONEncoder() throws {
        var receipt = receipts[0]
        receipt.builtOn?.extra = ["load": .double(1.5)]
        XCTAssertNil(ReceiptJSONWriter.data(for: receipt))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: try receipt.jsonData()) as? [String: Any])
        XCTAssertEqual((object["built_on"] as? [String: Any])?["load"] as? Double, 1.5)
    }
}
