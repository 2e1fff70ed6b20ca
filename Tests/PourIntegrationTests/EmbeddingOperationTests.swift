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
        let apiRequestsAfterRefresh = Locked(-1)
        let log = fixture.server.log
        refresh.completionHandler = { _ in
            timeline.mark("refresh")
            apiRequestsAfterRefresh.withLock { $0 = apiRequests(log).count }
        }
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
        // The install found all the metadata the refresh had just cached: no request of its own.
        XCTAssertGreaterThan(apiRequestsAfterRefresh.current, 0)
        XCTAssertEqual(fixture.apiRequests.count, apiRequestsAfterRefresh.current, "\(fixture.apiRequests)")
    }

    func testUpdateThenInstallResolvesFromTheIndex() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let configuration = fixture.configuration()
        let installer = Installer(configuration: configuration)
        let update = UpdateOperation(installer: installer)
        let install = InstallOperation(installer: installer, names: ["wget", "hello"])
        install.addDependency(update)
        let queue = OperationQueue()
        queue.addOperations([install, update], waitUntilFinished: true)

        guard case .success(.rebuilt(_, let formulae, _, _, _))? = update.result else {
            return XCTFail("\(String(describing: update.result))")
        }
        XCTAssertEqual(formulae, fixture.manifest.formulae.count)
        XCTAssertTrue(install.didSucceed, "\(String(describing: install.result))")
        XCTAssertEqual(fixture.apiRequests.filter { $0.contains("/api/formula/") }, [],
                       "the install resolved from the index the update wrote")

        // A second update finds the catalogue unchanged.
        let again = UpdateOperation(installer: installer)
        queue.addOperations([again], waitUntilFinished: true)
        guard case .success(.notModified)? = again.result else { return XCTFail("\(String(describing: again.result))") }
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

    func testUpgradeOperationMovesToTheNewVersion() throws {
        let fixture = try RegistryFixture(recipe: .custom([FormulaSpec(name: "tool", version: "1.0", targetCompressedSize: 100_000)]))
        var configuration = fixture.configuration()
        configuration.apiMaxAge = 0 // see the new publication at once
        let installer = Installer(configuration: configuration)
        let queue = OperationQueue()
        let install = InstallOperation(installer: installer, names: ["tool"])
        queue.addOperations([install], waitUntilFinished: true)
        XCTAssertTrue(install.didSucceed, "\(String(describing: install.result))")

        _ = try RegistryGenerator(recipe: .custom([FormulaSpec(name: "tool", version: "2.0", targetCompressedSize: 100_000)]))
            .generate(into: fixture.registry)
        let callbacks = DispatchQueue(label: "embedder.upgrade")
        let upgrade = UpgradeOperation(upgrader: Upgrader(installer: installer), mode: .upgrade, callbackQueue: callbacks)
        let plans = Locked<[Upgrader.Plan]>([])
        upgrade.planHandler = { plan in
            dispatchPrecondition(condition: .onQueue(callbacks))
            plans.withLock { $0.append(plan) }
        }
        let installed = Locked<[String]>([])
        upgrade.eventHandler = { event in
            dispatchPrecondition(condition: .onQueue(callbacks))
            if case .installed(let name, let version) = event { installed.withLock { $0.append("\(name) \(version)") } }
        }
        queue.addOperations([upgrade], waitUntilFinished: true)

        XCTAssertTrue(upgrade.didSucceed, "\(String(describing: upgrade.result))")
        XCTAssertEqual(plans.current.first?.packages.map(\.name), ["tool"])
        XCTAssertEqual(installed.current, ["tool 2.0"])
        XCTAssertEqual(PrefixInventory.read(layout: configuration.layout).formula(named: "tool")?.activeKeg?.pkgVersion, "2.0")
    }
}

private extension RegistryFixture {
    var apiRequests: [String] { PourIntegrationTests.apiRequests(server.log) }
}

/// Formula metadata requests the server has answered so far (formula JSON, catalogue).
private func apiRequests(_ log: RequestLog) -> [String] {
    _ = log.waitUntilIdle(timeout: 10)
    return log.entries(on: .registry).map(\.uri).filter { $0.contains("/api/") }
}
