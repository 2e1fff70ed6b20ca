import Foundation

extension Installer {
    /// Fetches the formula metadata of `names` and their runtime dependencies, exactly as an
    /// install would (same API cache and freshness rules), without installing anything. Names the
    /// API does not know are simply absent from the catalogue.
    ///
    /// Runs a `FormulaFetcher` on its own serial queue with its own `TransferEngine`, which is
    /// shut down (a blocking call, made on a utility queue) before `completion` runs, exactly
    /// once, on `callbackQueue`. Takes no prefix lock: it only reads the network and writes the
    /// API cache atomically.
    @discardableResult
    public func fetchFormulae(_ names: [String], callbackQueue: DispatchQueue,
                              completion: @escaping @Sendable (Result<Formula.FormulaCatalog, InstallError>) -> Void) -> InstallHandle {
        let queue = DispatchQueue(label: "pour.metadata", qos: .userInitiated)
        let engine: TransferEngine
        switch configuration.makeTransferEngine() {
        case .failure(let error):
            callbackQueue.async { completion(.failure(error)) }
            return InstallHandle {}
        case .success(let made): engine = made
        }
        let fetcher = FormulaFetcher(engine: engine, configuration: configuration, queue: queue)
        fetcher.fetchClosure(of: names) { result in
            DispatchQueue.global(qos: .utility).async {
                engine.shutdown()
                callbackQueue.async { completion(result) }
            }
        }
        return InstallHandle { fetcher.cancel() }
    }
}
