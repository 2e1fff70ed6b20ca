import ArgumentParser
import Foundation
import PourCore

/// How the read-only index commands (search, info, deps, uses) and `pour update` reach the
/// formula index. Opening an existing index starts no thread and no transfer engine; only a
/// missing index (with auto-update on) or `pour update` against an HTTP(S) domain does.
enum IndexAccess {
    /// Runs `pour update` synchronously on the calling (main) thread; the updater works on its
    /// own serial queue and the engine, when one is needed, is shut down before returning.
    static func update(configuration: InstallConfiguration, force: Bool) -> Result<CatalogueUpdater.Outcome, IndexError> {
        var engine: TransferEngine?
        if !CatalogueUpdater.isLocal(configuration.endpoints.apiDomain) {
            engine = TransferEngine(maxConcurrentTransfers: 2, caBundle: configuration.caBundle)
            if engine == nil { return .failure(.engineUnavailable) }
        }
        let queue = DispatchQueue(label: "pour.cli.update", qos: .userInitiated)
        let updater = CatalogueUpdater(configuration: configuration, engine: engine, queue: queue)
        let outcome = Locked<Result<CatalogueUpdater.Outcome, IndexError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        updater.update(force: force) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        engine?.shutdown()
        return outcome.current ?? .failure(.missing(path: updater.indexPath))
    }

    /// The index for this prefix/cache and tag, building it first when it is missing and
    /// auto-update is on. A stale index is used as it is (reads never wait on the network).
    static func open(_ configuration: InstallConfiguration) throws -> FormulaIndex {
        let path = IndexSettings.indexPath(layout: configuration.layout, tag: configuration.bottleTag)
        do throws(IndexError) {
            return try FormulaIndex(path: path)
        } catch .missing, .incompatible {
            guard configuration.index.autoUpdate else { throw fail(IndexError.missing(path: path)) }
            if case .failure(let error) = update(configuration: configuration, force: true) { throw fail(error) }
            do throws(IndexError) {
                return try FormulaIndex(path: path)
            } catch {
                throw fail(error)
            }
        } catch {
            throw fail(error)
        }
    }

    /// Resolves a name (alias, old name, `tap/name`, any case) or fails with suggestions.
    static func resolve(_ name: String, in index: FormulaIndex) throws -> Formula {
        do throws(IndexError) {
            return try index.resolve(name)
        } catch {
            throw fail(error)
        }
    }

    /// Prints `error` on stderr and returns the exit code to throw.
    static func fail(_ error: IndexError) -> ExitCode {
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        return .failure
    }

    static func printJSON(_ object: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}
