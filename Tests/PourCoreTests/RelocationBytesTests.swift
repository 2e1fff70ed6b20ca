import Foundation
import XCTest
@testable import PourCore

/// The RUNPATH filter keeps only entries inside the prefix, decided on bytes as the dynamic loader
/// reads them (Docs/Design.md, "Bytes, not characters"): a canonically equivalent spelling of
/// the prefix is another directory on disk, one a bottle's binary must not search.
final class RelocationBytesTests: XCTestCase {
    private func searchPath(_ old: String, prefix: String) -> String {
        ElfRelocationRules.searchPath(old, placeholders: Placeholders(layout: PrefixLayout(prefix: prefix, cache: "/c")), prefix: prefix)
    }

    func testACanonicallyEquivalentSpellingOfThePrefixIsNotInsideIt() {
        let prefix = "/opt/caf\u{E9}"  // é precomposed
        XCTAssertEqual(searchPath("/opt/cafe\u{301}/lib:\(prefix)/opt/x/lib", prefix: prefix), "\(prefix)/opt/x/lib:\(prefix)/lib",
                       "the decomposed spelling (another directory) is dropped")
        XCTAssertEqual(searchPath("/opt/cafe\u{301}", prefix: prefix), "\(prefix)/lib", "the prefix's equivalent itself too")
        XCTAssertEqual(searchPath("/opt/\u{212A}brew/lib", prefix: "/opt/Kbrew"), "/opt/Kbrew/lib", "KELVIN SIGN is not K on disk")
    }

    func testEntriesInsideAPrefixWithCombiningMarksAreKept() {
        let prefix = "/opt/cafe\u{301}/brew"
        XCTAssertEqual(searchPath("\(prefix)/Cellar/x/1/lib:$ORIGIN/../lib", prefix: prefix), "\(prefix)/Cellar/x/1/lib:$ORIGIN/../lib:\(prefix)/lib")
        XCTAssertEqual(searchPath("\(prefix)/\u{301}x/lib", prefix: prefix), "\(prefix)/\u{301}x/lib:\(prefix)/lib",
                       "a component after the prefix that starts with a mark is inside it")
    }
}

extension RelocationBytesTests {
    /// Whether a keg is glibc's (never relocated, as brew) is decided on its name, the keg path's
    /// second-to-last component on bytes. A keg `\u{301}h/\u{301}1` (name and version starting
    /// with a combining mark, which `PathNames` allows) in a prefix named `glibc`: by `Character`s
    /// the marks went with their slashes and the "name" was the prefix's `glibc`, so this keg's
    /// binary kept its placeholders and could not start.
    func testAKegIsNotTakenForGlibcByAPrefixComponent() throws {
        let box = try ElfSandbox()
        let built = try box.buildHello()
        let prefix = try box.prefix(length: 20) + "/glibc"
        let keg = prefix + "/Cellar/\u{301}h/\u{301}1"
        let fm = FileManager.default
        try fm.createDirectory(atPath: keg + "/bin", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: keg + "/lib", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: prefix + "/lib", withIntermediateDirectories: true)
        try fm.copyItem(atPath: built.program, toPath: keg + "/bin/hello")
        try fm.copyItem(atPath: built.library, toPath: keg + "/lib/libhello.so")
        try fm.createSymbolicLink(atPath: prefix + "/lib/libhello.so", withDestinationPath: keg + "/lib/libhello.so")
        let layout = PrefixLayout(prefix: prefix, cache: prefix + "/cache")
        try LoaderLink.ensureLoaderLink(layout: layout)

        XCTAssertEqual(try BinaryRelocator.relocate(kegAt: keg, layout: layout), ["bin/hello"])
        let output = ElfSandbox.run(keg + "/bin/hello", [], environment: ElfSandbox.cleanEnvironment)
        XCTAssertEqual(output?.status, 0, "stderr: \(output?.stderr ?? "could not start")")
        XCTAssertEqual(output?.stdout, "hello from libhello\n")
    }
}
