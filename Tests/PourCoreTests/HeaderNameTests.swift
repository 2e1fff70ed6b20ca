import Foundation
import XCTest
@testable import PourCore

/// The byte reading of ASCII header lines in `ActiveTransfer.receiveHeaderLine` agrees with the
/// `String` reading it replaced: names trimmed of `.whitespaces` and lower-cased, values trimmed
/// of `.whitespacesAndNewlines`.
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
            XCTAssertEqual(matched != nil, formerReading(name), name.debugDescription)
            if let matched { XCTAssertEqual(matched, name.trimmingCharacters(in: .whitespaces).lowercased()) }
        }
    }

    func testValuesAreTrimmedLikeTheStringReading() {
        var values = ["", " ", "\r\n", " \"abc\"\r\n", "\t\u{0B}\u{0C}x y\r", "  bytes 100-199/200  \n", "a\u{01}", "\u{01}a\u{7F}"]
        for byte in UInt8(0)..<0x80 {
            values.append(String(decoding: [byte, UInt8(ascii: "v"), byte], as: UTF8.self))
            values.append(String(decoding: [byte], as: UTF8.self))
        }
        for value in values {
            let trimmed = Array(value.utf8).withUnsafeBytes { HeaderName.trimmedValue($0) }
            XCTAssertEqual(trimmed, value.trimmingCharacters(in: .whitespacesAndNewlines), value.debugDescription)
        }
    }
}
