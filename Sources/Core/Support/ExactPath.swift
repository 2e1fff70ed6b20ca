/// A path compared and hashed byte for byte, the way the kernel compares names.
///
/// `String`'s `==` and hashing follow canonical equivalence: `"caf\u{E9}" == "cafe\u{301}"`, and
/// `"x\u{37E}" == "x;"`, yet each pair names two different files. A dictionary keyed by `String`
/// would record a symlink under one spelling and let a directory spelt the other way overwrite
/// that record; keyed by `ExactPath`, the two stay two entries
/// (`ReliabilityHostileArchiveTests.testCanonicallyEquivalentNamesAreDifferentFiles`).
///
/// Immutable value; safe to share across queues.
struct ExactPath: Hashable, Sendable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (lhs: ExactPath, rhs: ExactPath) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// True when `self` is a proper ancestor of `path`: its bytes followed by a `/` byte.
    func isProperAncestor(of path: String) -> Bool {
        let ancestor = text.utf8, bytes = path.utf8
        guard ancestor.count < bytes.count, bytes.starts(with: ancestor) else { return false }
        return bytes[bytes.index(bytes.startIndex, offsetBy: ancestor.count)] == UInt8(ascii: "/")
    }
}
