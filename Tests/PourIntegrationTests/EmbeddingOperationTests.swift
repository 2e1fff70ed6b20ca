import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Operation chains as an embedder builds them: refresh → install → uninstall, dependencies and
/// cancellation.
final class EmbeddingOperationTests: XCTestCase {
    func testRefreshThenInstallHonoursTheDependency() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let installer = Installer(configuration: fixture.configuration())
        let timeline = Timeline()
        let refresh = MetadataRefreshOperation(installer: installer, names: ["wget"])
        refresh.completionHandler = { _ in timeline.mark("refresh") }
        let install = InstallOperation(installer: installer, names: ["wget"])
        install.eventHandler = { _ in timeline.mark("install") }
        install.addDependency(refresh)

        let queue = OperationQueue()
        // Added dependent-first on a wide queue: only the dependency can hold the install back.
        queue.addOperations([install, refresh], waitUntilFinished: true)

        guard case .success(let catalog)? = refresh.result else { return XCTFail("\(String(describing: refresh.result))") }
        XCTAssertNotNil(catalog.formula(named: "openssl@3"), "the refresh fetched the dependency closure")
        XCTAssertTrue(install.didSucceed, "\(String(describing: install.result))")
        let r = try XCTUnwrap(timeline.window("refresh")), i = try XCTUnwrap(timeline.window("install"))
        XCTAssertLessThan(r.end, i.start, "the install started after the refresh's completion handler")
        // The install found every formula JSON fresh in the cache the refresh had just written.
        let apiRequests = fixture.log.entries(on: .registry).filter { $0.uri.contains("/api/") }
        XCTAssertEqual(apiRequests.count, catalog.formulae.count, "\(apiRequests.map(\.uri))")
    }

    func testCancellingTheFirstOperationSkipsItsDependents() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let installer = Installer(configuration: fixture.configuration())
        let refresh = MetadataRefreshOperation(installer: installer, names: ["hello"])
        let install = InstallOperation(installer: installer, names: ["hello"])
        let uninstall = UninstallOperation(layout: installer.configuration.layout, names: ["hello"])
        install.addDependency(refresh)
        uninstall.addDependency(install)
        let completions = Locked([String: Int]())
        for operation in [refresh, install, uninstall] as [Operation] {
            let name = operation.name ?? "?"
            let count: @Sendable () -> Void = { completions.withLock { $0[name, default: 0] += 1 } }
            (operation as? MetadataRefreshOperation)?.completionHandler = { _ in count() }
            (operation as? InstallOperation)?.completionHandler = { _ in count() }
            (operation as? UninstallOperation)?.completionHandler = { _ in count() }
        }

        let queue = OperationQueue()
        queue.isSuspended = true
        queue.addOperations([refresh, install, uninstall], waitUntilFinished: false)
        refresh.cancel()
        queue.isSuspended = false
        queue.waitUntilAllOperationsAreFinished()

        guard case .failure(.cancelled)? = refresh.result else { return XCTFail("\(String(describing: refresh.result))") }
        guard case .failure(.dependencyDidNotSucceed(let blocker))? = install.result else {
            return XCTFail("\(String(describing: install.result))")
        }
        XCTAssertEqual(blocker, refresh.name)
        guard case .failure(.dependencyDidNotSucceed(let next))? = uninstall.result else {
            return XCTFail("\(String(describing: uninstall.result))")
        }
        XCTAssertEqual(next, install.name)
        let all: [Operation & OperationSuccessReporting] = [refresh, install, uninstall]
        XCTAssertTrue(all.allSatisfy { $0.isFinished && !$0.isExecuting && !$0.didSucceed })
        XCTAssertEqual(completions.current.values.sorted(), [1, 1, 1], "each completion handler ran once")
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.prefix), "nothing touched the prefix")
        XCTAssertEqual(fixture.log.entries(on: .registry).count, 0, "nothing touched the network")
    }

    func testInstallThenUninstallChain() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let installer = Installer(configuration: fixture.configuration())
        let layout = installer.configuration.layout
        let install = InstallOperation(installer: installer, names: ["hello"])
        let uninstall = UninstallOperation(layout: layout, names: ["hello"])
        uninstall.addDependency(install)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 2
        queue.addOperations([uninstall, install], waitUntilFinished: true)

        XCTAssertTrue(install.didSucceed, "\(String(describing: install.result))")
        guard case .success(let report)? = uninstall.result else { return XCTFail("\(String(describing: uninstall.result))") }
        XCTAssertEqual(report.removed.map(\.name), ["hello"])
        let remaining = Set(PrefixInventory.read(layout: layout).installed.map(\.name))
        XCTAssertEqual(remaining, ["gettext", "libunistring"], "dependencies stay; only hello is removed")
        XCTAssertFalse(isSymlink(layout.opt + "/hello"))

        // Uninstalling what is needed by another formula fails as a value, not a crash.
        let refused = UninstallOperation(layout: layout, names: ["libunistring"])
        queue.addOperations([refused], waitUntilFinished: true)
        guard case .failure(.failed(.requiredBy(let name, _)))? = refused.result else {
            return XCTFail("\(String(describing: refused.result))")
        }
        XCTAssertEqual(name, "libunistring")
    }
}
