import Foundation

/// Fetches a small resource (formula JSON, a manifest) into memory, with the same retry policy as
/// bottles. Bodies larger than `maxBytes` are refused.
///
/// Confinement: the accumulated body and attempt counter live on `queue` (serial), which is the
/// transfer's sink queue; `@unchecked Sendable` for that reason.
package final class MemoryFetch: @unchecked Sendable {
    private let engine: TransferEngine
    private let source: DownloadSource
    private let policy: RetryPolicy
    private let timeouts: TransferTimeouts
    private let maxBytes: Int64
    private let queue: DispatchQueue
    private let completion: @Sendable (Result<Data, TransferError>) -> Void
    private var body = Data()
    private var attempt = 0
    private var handle: TransferHandle?
    private var cancelled = false

    package init(engine: TransferEngine, source: DownloadSource, policy: RetryPolicy, timeouts: TransferTimeouts,
                maxBytes: Int64 = 256 << 20, queue: DispatchQueue,
                completion: @escaping @Sendable (Result<Data, TransferError>) -> Void) {
        self.engine = engine
        self.source = source
        self.policy = policy
        self.timeouts = timeouts
        self.maxBytes = maxBytes
        self.queue = queue
        self.completion = completion
    }

    package func start() { queue.async { self.attemptTransfer() } }

    package func cancel() {
        queue.async {
            self.cancelled = true
            self.handle?.cancel()
        }
    }

    private func attemptTransfer() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !cancelled else { return completion(.failure(.cancelled)) }
        attempt += 1
        body.removeAll(keepingCapacity: true)
        let request = TransferRequest(url: source.url, headers: source.headers,
                                      maxBodyBytes: maxBytes, timeouts: timeouts, acceptCompressed: true,
                                      allowFile: source.allowFile)
        handle = engine.start(request, lane: .metadata, queue: queue, onResponse: { _ in },
                              onData: { [self] data in body.append(data) },
                              completion: { [self] result in ended(result) })
    }

    private func ended(_ result: Result<TransferSummary, TransferError>) {
        dispatchPrecondition(condition: .onQueue(queue))
        handle = nil
        switch result {
        case .success:
            // Handed over, not kept: callers retain finished fetches (FormulaFetcher keeps every
            // one until the closure is resolved), and 1,000 formula JSONs held ~2 MB that way.
            let result = body
            body = Data()
            completion(.success(result))
        case .failure(let error):
            if cancelled { return completion(.failure(.cancelled)) }
            switch policy.decision(after: error, attempt: attempt, url: source.url) {
            case .retry(let delay):
                queue.asyncAfter(deadline: .now() + delay) { [self] in attemptTransfer() }
            case .giveUp(let final):
                completion(.failure(final))
            }
        }
    }

}
