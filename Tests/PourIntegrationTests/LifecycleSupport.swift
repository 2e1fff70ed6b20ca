import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Runs an `Upgrader` (upgrade or reinstall) and waits for it (test-only blocking wait).
struct UpgradeRecording {
    var result: Result<Upgrader.Report, LifecycleError>
    var plan: Upgrader.Plan?
    var events: [InstallEvent]

    var report: Upgrader.Report? { try? result.get() }
    var install: InstallReport? { report?.install }
}

func runUpgrader(_ mode: Upgrader.Mode, _ names: [String], configuration: InstallConfiguration,
                 file: StaticString = #filePath, line: UInt = #line) -> UpgradeRecording {
    let queue = DispatchQueue(label: "test.upgrade")
    let plan = Locked<Upgrader.Plan?>(nil)
    let events = Locked<[InstallEvent]>([])
    let outcome = Locked<Result<Upgrader.Report, LifecycleError>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Upgrader(installer: Installer(configuration: configuration)).run(
        mode, names: names, callbackQueue: queue,
        onPlan: { value in plan.withLock { $0 = value } },
        events: { event in events.withLock { $0.append(event) } },
        completion: { result in
            outcome.withLock { $0 = result }
            done.signal()
        })
    if done.wait(timeout: .now() + 300) == .timedOut { XCTFail("upgrade did not complete", file: file, line: line) }
    return UpgradeRecording(result: outcome.current ?? .failure(.install("timed out")), plan: plan.current,
                            events: events.current)
}

/// Fetches metadata and evaluates `outdated` the way the CLI does.
func outdatedNames(_ configuration: InstallConfiguration) throws -> [String] {
    let inventory = PrefixInventory.read(layout: configuration.layout)
    let formulae = try Outdated.candidates(inventory)
    let done = DispatchSemaphore(value: 0)
    let result = Locked<Result<FormulaCatalog, InstallError>?>(nil)
    Installer(configuration: configuration).fetchFormulae(formulae.map(\.name), callbackQueue: .global()) { value in
        result.withLock { $0 = value }
        done.signal()
    }
    _ = done.wait(timeout: .now() + 120)
    guard case .success(let catalog)? = result.current else { throw LifecycleError.metadata("\(String(describing: result.current))") }
    return Outdated.evaluate(formulae, catalog: catalog).outdated.filter { !$0.pinned }.map(\.name)
}

/// Runs the real `pour` binary to completion; returns its exit status and stdout lines.
func runPour(_ arguments: [String], fixture: RegistryFixture, extraEnvironment: [String: String] = [:]) throws -> (status: Int32, lines: [String]) {
    let layout = fixture.configuration().layout
    let pour = try PourProcess(arguments: arguments + ["--prefix", layout.prefix, "--cache", layout.cache],
                               environment: fixture.environment.merging(extraEnvironment) { $1 })
    let status = pour.waitForExit()
    _ = pour.waitForLine { _ in false }  // drain: returns once the process has ended and output is read
    return (status, pour.output)
}

func receiptFlag(_ layout: PrefixLayout, _ name: String, _ version: String) -> Bool? {
    guard let data = FileManager.default.contents(atPath: layout.keg(name, version) + "/INSTALL_RECEIPT.json"),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
    return object["installed_on_request"] as? Bool
}

func symlinkTarget(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }
