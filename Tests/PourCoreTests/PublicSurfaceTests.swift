import Foundation
import XCTest

/// The public API is what the DocC landing page lists, and stays small (issue 12): a type made
/// public by accident, or one dropped from the docs, fails here.
final class PublicSurfaceTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func testEveryPublicTypeIsListedOnTheLandingPageAndThereAreFewerThanThirty() throws {
        let core = root.appendingPathComponent("Sources/Core")
        let declaration = try NSRegularExpression(pattern: #"^(?:public|open) (?:final )?(?:class|struct|enum|protocol|typealias) ([A-Za-z]+)"#,
                                                  options: [.anchorsMatchLines])
        var publicTypes = Set<String>()
        let files = FileManager.default.enumerator(atPath: core.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        for file in files {
            let text = try String(contentsOf: core.appendingPathComponent(file), encoding: .utf8)
            for match in declaration.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                publicTypes.insert(String(text[Range(match.range(at: 1), in: text)!]))
            }
        }
        let landing = try String(contentsOf: core.appendingPathComponent("PourCore.docc/PourCore.md"), encoding: .utf8)
        let symbol = try NSRegularExpression(pattern: "``([A-Za-z]+)``")
        let listed = Set(symbol.matches(in: landing, range: NSRange(landing.startIndex..., in: landing)).map {
            String(landing[Range($0.range(at: 1), in: landing)!])
        }).subtracting(["PourCore"])
        XCTAssertFalse(publicTypes.isEmpty)
        XCTAssertEqual(publicTypes.subtracting(listed).sorted(), [], "public types missing from PourCore.docc/PourCore.md")
        XCTAssertEqual(listed.subtracting(publicTypes).sorted(), [], "listed on the landing page but not public")
        XCTAssertLessThan(publicTypes.count, 30)
    }
}
