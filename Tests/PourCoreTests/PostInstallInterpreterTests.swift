import Foundation
import XCTest
@testable import PourCore

/// The post-install interpreter on formula sources written here in the shapes homebrew-core uses
/// (the certificate chain) and in hostile shapes; every effect is checked on the real disk of a
/// temporary prefix.
final class PostInstallInterpreterTests: XCTestCase {
    private var root = ""
    private var layout: PrefixLayout!

    override func setUpWithError() throws {
        root = (NSTemporaryDirectory() as NSString).appendingPathComponent("pour-postinstall-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: root + "/prefix", withIntermediateDirectories: true)
        try Data("canary\n".utf8).write(to: URL(fileURLWithPath: root + "/canary"))
        layout = PrefixLayout(prefix: root + "/prefix", cache: root + "/cache")
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    /// A keg of `name` with `.brew/<name>.rb` = `source` and the given files; returns its path.
    @discardableResult
    private func keg(_ name: String, source: String, files: [String: String] = [:]) throws -> String {
        let keg = layout.cellar + "/\(name)/1.0"
        try FileManager.default.createDirectory(atPath: keg + "/.brew", withIntermediateDirectories: true)
        try Data(source.utf8).write(to: URL(fileURLWithPath: keg + "/.brew/\(name).rb"))
        for (path, text) in files {
            try FileManager.default.createDirectory(atPath: (keg + "/" + path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: keg + "/" + path))
        }
        return keg
    }

    private func run(_ name: String) -> PostInstallOutcome {
        PostInstallRunner.run(name: name, version: "1.0", kegPath: layout.cellar + "/\(name)/1.0", layout: layout)
    }

    /// Every path under the prefix except the Cellar, with file contents or link targets.
    private func prefixState() -> [String: String] {
        var state: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: layout.prefix) else { return state }
        for case let relative as String in walker where !relative.hasPrefix("Cellar") {
            let path = layout.prefix + "/" + relative
            if let target = PosixFS.readLink(path) { state[relative] = "-> " + target }
            else if let data = FileManager.default.contents(atPath: path) { state[relative] = String(decoding: data, as: UTF8.self) }
            else { state[relative] = "dir" }
        }
        return state
    }

    static let bundle = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

    /// The shape of the current ca-certificates formula: an OS dispatch, a Linux branch with a
    /// system-store merge through helpers with blocks, and an `ensure` that copies the bundle.
    static let caCertificates = """
    class CaCertificates < Formula
      desc "Mozilla CA certificate store"
      def install
        pkgshare.install "cacert-#{version}.pem" => "cacert.pem"
      end

      def post_install
        if OS.mac?
          macos_post_install
        else
          linux_post_install
        end
      end

      def macos_post_install
        certs = Utils.safe_popen_read("/usr/bin/security", "find-certificate", "-a", "-p").scan(/BEGIN.*?END/m)
        pkgetc.mkpath
        (pkgetc/"cert.pem").atomic_write(certs.join("\\n") << "\\n")
      end

      def fingerprint_of(pem)
        Utils.safe_popen_write("openssl", "x509", "-fingerprint",
                               "-noout") do |pipe|
          pipe.write(pem)
        end
      end

      def merge_from(file, into, seen)
        file.binread.scan(/BEGIN.*?END/m).each do |pem|
          into << pem if seen.add?(fingerprint_of(pem))
        end
      end

      def linux_post_install
        rm(pkgetc/"cert.pem", force: true)
        pkgetc.mkpath
        store = Pathname.new("/etc/ssl/certs/ca-certificates.crt")
        return unless store.exist?
        list = []
        seen = Set.new
        merge_from(store, list, seen)
        merge_from(pkgshare/"cacert.pem", list, seen)
        (pkgetc/"cert.pem").atomic_write(list.join("\\n") << "\\n")
      ensure
        cp pkgshare/"cacert.pem", pkgetc/"cert.pem" unless (pkgetc/"cert.pem").exist?
      end
    end
    """

    /// The shape of openssl@3: a helper for the directory, a guarded rm, an install_symlink.
    static let openssl = """
    class OpensslAT3 < Formula
      def install
        args = %W[--prefix=#{prefix} --openssldir=#{openssldir}]
        system "perl", "./Configure", *args
        touch %w[certs private].map { |subdir| openssldir/subdir/".keepme" }
      end

      def openssldir
        etc/"openssl@3"
      end

      def post_install
        rm(openssldir/"cert.pem") if (openssldir/"cert.pem").exist?
        openssldir.install_symlink Formula["ca-certificates"].pkgetc/"cert.pem"
      end

      def caveats
        <<~EOS
          Place .pem files in #{openssldir}/certs
        EOS
      end
    end
    """

    func testOpensslShapeRunsFullyAndLinksToTheBundle() throws {
        try keg("openssl@3", source: Self.openssl)
        try FileManager.default.createDirectory(atPath: layout.prefix + "/etc/openssl@3", withIntermediateDirectories: true)
        try Data("stale".utf8).write(to: URL(fileURLWithPath: layout.prefix + "/etc/openssl@3/cert.pem"))
        guard case .ran(let effects) = run("openssl@3") else { return XCTFail("not run: \(run("openssl@3"))") }
        XCTAssertTrue(effects.contains(.remove(PosixFS.realPath(layout.prefix)! + "/etc/openssl@3/cert.pem")))
        XCTAssertEqual(PosixFS.readLink(layout.prefix + "/etc/openssl@3/cert.pem"), "../ca-certificates/cert.pem")
        let receipt = try String(contentsOfFile: layout.cellar + "/openssl@3/1.0/.brew/openssl@3.rb", encoding: .utf8)
        XCTAssertFalse(receipt.isEmpty)
    }

    func testCurrentCaCertificatesShapeIsRecognisedAndMaterialisesTheBundle() throws {
        try keg("ca-certificates", source: Self.caCertificates, files: ["share/ca-certificates/cacert.pem": Self.bundle])
        guard case .recognised(let rule, _) = run("ca-certificates") else { return XCTFail("\(run("ca-certificates"))") }
        XCTAssertEqual(rule, .caBundle)
        XCTAssertEqual(try String(contentsOfFile: layout.prefix + "/etc/ca-certificates/cert.pem", encoding: .utf8), Self.bundle)
        XCTAssertEqual(PosixFS.kind(layout.prefix + "/etc/ca-certificates/cert.pem"), .file)
    }

    func testBundleRecognitionRefusesAnExtraWrite() throws {
        // Same shape plus one more write elsewhere: no longer the known effect, so nothing runs.
        let source = Self.caCertificates.replacingOccurrences(
            of: "  ensure\n", with: "    (etc/\"other.conf\").atomic_write(list.join)\n  ensure\n")
        try keg("ca-certificates", source: source, files: ["share/ca-certificates/cacert.pem": Self.bundle])
        guard case .notRun = run("ca-certificates") else { return XCTFail("ran") }
        XCTAssertEqual(prefixState(), [:])
    }

    func testUnknownCallFailsClosedWithNoEffect() throws {
        try keg("tool", source: """
        class Tool < Formula
          def post_install
            (var/"tool").mkpath
            (etc/"tool").mkpath
            touch etc/"tool/tool.conf"
            system bin/"tool", "--init"
          end
        end
        """)
        guard case .notRun(let reason) = run("tool") else { return XCTFail("ran") }
        XCTAssertTrue(reason.contains("`system` runs a program"), reason)
        XCTAssertEqual(prefixState(), [:], "a refused body changed the prefix")
        let receipt = try InstallReceipt.read(kegPath: layout.cellar + "/tool/1.0")
        XCTAssertNil(receipt, "no receipt in this keg: nothing to record into")
    }

    func testDotDotEscapeFailsClosed() throws {
        try keg("escape", source: """
        class Escape < Formula
          def post_install
            (etc/"escape").mkpath
            cp pkgshare/"x.conf", etc/"../../canary"
          end
        end
        """, files: ["share/escape/x.conf": "pwned\n"])
        guard case .notRun(let reason) = run("escape") else { return XCTFail("ran") }
        XCTAssertTrue(reason.contains(".."), reason)
        XCTAssertEqual(try String(contentsOfFile: root + "/canary", encoding: .utf8), "canary\n")
        XCTAssertEqual(prefixState(), [:])
    }

    func testInterpolatedPathOutsideThePrefixFailsClosed() throws {
        try keg("abs", source: """
        class Abs < Formula
          def post_install
            ln_sf "#{pkgshare}/x.conf", "\(root)/canary"
          end
        end
        """, files: ["share/abs/x.conf": "pwned\n"])
        guard case .notRun(let reason) = run("abs") else { return XCTFail("ran") }
        XCTAssertTrue(reason.contains("outside"), reason)
        XCTAssertEqual(PosixFS.kind(root + "/canary"), .file)
        XCTAssertEqual(try String(contentsOfFile: root + "/canary", encoding: .utf8), "canary\n")
    }

    func testPlantedSymlinkInEtcIsNotFollowed() throws {
        // etc/openssl@3 → a directory outside the prefix: the link must not land there.
        let outside = root + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: layout.prefix + "/etc", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: layout.prefix + "/etc/openssl@3", withDestinationPath: outside)
        try keg("openssl@3", source: Self.openssl)
        guard case .notRun = run("openssl@3") else { return XCTFail("ran through a planted symlink") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside), [])
    }

    func testPlantedSymlinkAtTheDestinationIsReplacedNotFollowed() throws {
        // etc/ca-certificates/cert.pem → ../../../canary: cp must replace the link, not write through it.
        try FileManager.default.createDirectory(atPath: layout.prefix + "/etc/ca-certificates", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: layout.prefix + "/etc/ca-certificates/cert.pem",
                                                   withDestinationPath: root + "/canary")
        try keg("ca-certificates", source: """
        class CaCertificates < Formula
          def post_install
            pkgetc.mkpath
            cp pkgshare/"cacert.pem", pkgetc/"cert.pem"
          end
        end
        """, files: ["share/ca-certificates/cacert.pem": Self.bundle])
        guard case .ran = run("ca-certificates") else { return XCTFail("\(run("ca-certificates"))") }
        XCTAssertEqual(try String(contentsOfFile: root + "/canary", encoding: .utf8), "canary\n")
        XCTAssertEqual(PosixFS.kind(layout.prefix + "/etc/ca-certificates/cert.pem"), .file)
        XCTAssertEqual(try String(contentsOfFile: layout.prefix + "/etc/ca-certificates/cert.pem", encoding: .utf8), Self.bundle)
    }

    func testReadingAFileOutsideThePrefixFailsClosed() throws {
        try keg("thief", source: """
        class Thief < Formula
          def post_install
            (etc/"thief").mkpath
            (etc/"thief/copy").atomic_write(File.read("\(root)/canary"))
          end
        end
        """)
        guard case .notRun(let reason) = run("thief") else { return XCTFail("ran") }
        XCTAssertTrue(reason.contains("outside the prefix"), reason)
        XCTAssertEqual(prefixState(), [:])
    }

    func testPourStateUnderVarHomebrewIsOffLimits() throws {
        try keg("lockbreaker", source: """
        class Lockbreaker < Formula
          def post_install
            rm_f var/"homebrew/locks/pour.lock"
          end
        end
        """)
        guard case .notRun(let reason) = run("lockbreaker") else { return XCTFail("ran") }
        XCTAssertTrue(reason.contains("outside the keg"), reason)
    }

    func testBranchesHelpersAndInterpolationPlanWithoutDisk() {
        let source = FormulaSource.parse("""
        class Demo < Formula
          def conf_dir = etc/"demo"
          def data
            var/"lib/demo"
          end

          def post_install
            unless OS.linux?
              system "launchctl"
            end
            data.mkpath
            conf_dir.mkpath
            ln_sf "#{opt_prefix}/share/demo/default.conf", "#{conf_dir}/demo.conf" if OS.linux?
            touch data/"stamp" unless (data/"stamp").exist?
            (conf_dir/"version").atomic_write "1.0"
          end
        end
        """, linux: true)
        let context = PostInstallPlanner.Context(name: "demo", version: "1.0", prefix: "/p", kegPath: "/p/Cellar/demo/1.0",
                                                 linux: true, arm: false)
        let world = PostInstallWorld(state: { ["/p", "/p/etc", "/p/var"].contains($0) ? .directory : .missing },
                                     realDirectory: { _ in nil })
        let plan = PostInstallPlanner.plan(source, context: context, world: world)
        XCTAssertEqual(try plan.get(), [
            .makeDirectory("/p/var/lib"), .makeDirectory("/p/var/lib/demo"), .makeDirectory("/p/etc/demo"),
            .symlink(at: "/p/etc/demo/demo.conf", target: "/p/Cellar/demo/1.0/share/demo/default.conf"),
            .touch("/p/var/lib/demo/stamp"), .write(at: "/p/etc/demo/version", contents: "1.0"),
        ])
    }

    func testMacBranchIsTakenOnlyOnMac() {
        let text = """
        class Demo < Formula
          def post_install
            if OS.mac?
              system "true"
            end
          end
        end
        """
        let context = PostInstallPlanner.Context(name: "demo", version: "1.0", prefix: "/p", kegPath: "/p/Cellar/demo/1.0",
                                                 linux: true, arm: false)
        XCTAssertEqual(try PostInstallPlanner.plan(FormulaSource.parse(text, linux: true), context: context, world: .empty).get(), [])
        var mac = context
        mac.linux = false
        XCTAssertNil(try? PostInstallPlanner.plan(FormulaSource.parse(text, linux: false), context: mac, world: .empty).get())
    }

    func testSymlinkedEtcRefusesTheWholeBodyBeforeTheFirstEffect() throws {
        // `etc` → a directory outside holding `tool/`: lstat of etc/tool says "directory" (through
        // the link), so only the component walk sees it. Nothing may run, not even the keg effect.
        let outside = root + "/outside"
        try FileManager.default.createDirectory(atPath: outside + "/tool", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: layout.prefix + "/etc", withDestinationPath: outside)
        try keg("tool", source: """
        class Tool < Formula
          def post_install
            touch prefix/"stamp"
            cp pkgshare/"tool.conf", etc/"tool/tool.conf"
          end
        end
        """, files: ["share/tool/tool.conf": "conf\n"])
        guard case .notRun(let reason) = run("tool") else { return XCTFail("ran through a symlinked etc") }
        XCTAssertTrue(reason.contains("symlink"), reason)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside + "/tool"), [])
        XCTAssertEqual(PosixFS.kind(layout.cellar + "/tool/1.0/stamp"), .missing, "an earlier effect ran")
    }

    func testDeeplyNestedSourcesAreRefusedNotACrash() {
        let n = 20_000
        let shapes = [
            "class Deep < Formula\n  def post_install\n    x = " + String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n) + "\n  end\nend\n",
            "class Deep < Formula\n  def post_install\n    puts \"" + String(repeating: "#{\"", count: n) + String(repeating: "\"}", count: n) + "\"\n  end\nend\n",
            "class Deep < Formula\n  def post_install\n" + String(repeating: "if true\n", count: n) + String(repeating: "end\n", count: n) + "  end\nend\n",
            "class Deep < Formula\n" + String(repeating: "on_linux do\n", count: n) + "def post_install\nend\n" + String(repeating: "end\n", count: n) + "end\n",
            "class Deep < Formula\n  def post_install\n    x = " + String(repeating: "!", count: n) + "true\n  end\nend\n",
        ]
        let context = PostInstallPlanner.Context(name: "deep", version: "1.0", prefix: "/p", kegPath: "/p/Cellar/deep/1.0",
                                                 linux: true, arm: false)
        for (index, text) in shapes.enumerated() {
            let result = PostInstallPlanner.plan(FormulaSource.parse(text, linux: true), context: context, world: .empty)
            XCTAssertNil(try? result.get(), "shape \(index) was not refused")
        }
    }
}
