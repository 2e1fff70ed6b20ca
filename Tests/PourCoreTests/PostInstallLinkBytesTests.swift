import Foundation
import XCTest
@testable import PourCore

/// A post-install link between two names that are canonically equivalent but different bytes
/// (`caf\u{E9}`, `cafe\u{301}`: two directories on disk). The link's relative text is computed
/// component by component; `String` equality took the two names for one directory and made the
/// link point at a file beside itself. Checked on the real disk of a temporary prefix.
final class PostInstallLinkBytesTests: XCTestCase {
    private var root = ""
    private var layout: PrefixLayout!

    override func setUpWithError() throws {
        root = (NSTemporaryDirectory() as NSString).appendingPathComponent("pour-postinstall-bytes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: root + "/prefix", withIntermediateDirectories: true)
        layout = PrefixLayout(prefix: root + "/prefix", cache: root + "/cache")
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func testALinkBetweenCanonicallyEquivalentDirectoriesLeadsToTheOtherOne() throws {
        let name = "cafe\u{301}"  // decomposed: the formula's pkgetc
        let other = "caf\u{E9}"   // precomposed: another directory
        let keg = layout.cellar + "/\(name)/1.0"
        try FileManager.default.createDirectory(atPath: keg + "/.brew", withIntermediateDirectories: true)
        try Data("""
        class Cafe < Formula
          def post_install
            (etc/"\(other)").mkpath
            pkgetc.mkpath
            pkgetc.install_symlink etc/"\(other)/x.conf"
          end
        end
        """.utf8).write(to: URL(fileURLWithPath: keg + "/.brew/\(name).rb"))
        try FileManager.default.createDirectory(atPath: layout.prefix + "/etc/" + other, withIntermediateDirectories: true)
        try Data("theirs\n".utf8).write(to: URL(fileURLWithPath: layout.prefix + "/etc/\(other)/x.conf"))
        let outcome = PostInstallRunner.run(name: name, version: "1.0", kegPath: keg, layout: layout)
        guard case .ran = outcome else { return XCTFail("\(outcome)") }
        let link = layout.prefix + "/etc/\(name)/x.conf"
        XCTAssertEqual(PosixFS.readLink(link), "../\(other)/x.conf")
        XCTAssertEqual(try String(contentsOfFile: link, encoding: .utf8), "theirs\n")
    }
}
