import Foundation
import XCTest
@testable import PourCore

/// The byte test `ActiveTransfer.receiveHeaderLine` uses to skip header lines agrees with the
/// `String` reading it replaced (trim `.whitespaces`, lower-case, compare) on ASCII names.
final class HeaderNameTests: XCTestCase {
    private func formerReading(_ name: String) -> Bool {
        ["retry-after", "etag", "last-modified", "content-range", "location"]
            .contains(name.trimmingCharacters(in: .whitespaces).lowercased())
    }

    func testAgreesWithTheStringReadingOnASCIINames() {
        var names = ["Retry-After", "ETag", "etag", " ETAG\t", "Last-Modified", "content-RANGE", "Location", "\tlocation  ",
                     "Content-Length", "Content-Type", "Date", "", " ", "etag2", "e tag", "etag\r", "\u{0B}etag",
                     "Locations", "locatio", "X-Location", "retry_after", "ETAG\u{0C}"]
        // Every single-character change of a remembered name, and every ASCII byte around one.
        for base in ["etag", "location"] {
            for position in 0...base.count {
                for byte in UInt8(0)..<0x80 {
                    var bytes = Array(base.utf8)
                    bytes.insert(byte, at: position)
                    names.append(String(decoding: bytes, as: UTF8.self))
                }
            }
        }
        for name in names {
            let matched = Array(name.utf8).withUnsafeBytes { HeaderName.remembered($0) }
            XCTAssertEqual(matched, formerReading(name), name.debugDescription)
        }
    }
}
