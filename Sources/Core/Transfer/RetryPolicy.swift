/// How often and how patiently a failed transfer is tried again.
///
/// Delays grow exponentially from `baseDelay`, capped at `maxDelay`, with "equal jitter" (a random
/// point in the upper half) so that many clients do not retry in lock-step. A server's
/// `Retry-After` wins when present, capped at `maxRetryAfter`.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct RetryPolicy: Sendable, Equatable {
    /// Total attempts per source, including the first.
    package var maxAttempts: Int
    package var baseDelay: Double
    package var maxDelay: Double
    package var maxRetryAfter: Double

    package init(maxAttempts: Int = 5, baseDelay: Double = 0.5, maxDelay: Double = 8, maxRetryAfter: Double = 60) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// Seconds to wait before attempt number `attempt + 1` (attempt counts from 1).
    package func delay(afterAttempt attempt: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(retryAfter, maxRetryAfter) }
        let exponential = min(maxDelay, baseDelay * Double(1 << min(attempt - 1, 20)))
        return exponential / 2 + Double.random(in: 0...(exponential / 2))
    }

    /// What to do after attempt number `attempt` (counting from 1) of `url` failed with `error`:
    /// the one retry rule of every transfer (bottles, manifests, formula JSON, the catalogue).
    /// Retried: retryable errors while attempts remain, after the backoff or the server's
    /// `Retry-After`. A `Retry-After` past `maxRetryAfter` ends the attempts with
    /// `.retryAfterTooLong`: retrying before the server's time would only be refused again.
    package func decision(after error: TransferError, attempt: Int, url: String) -> RetryDecision {
        guard error.isRetryable, attempt < maxAttempts else { return .giveUp(error) }
        var retryAfter: Double?
        if case .httpStatus(_, _, let value) = error { retryAfter = value }
        if let retryAfter, retryAfter > maxRetryAfter {
            return .giveUp(.retryAfterTooLong(url: url, seconds: retryAfter, cap: maxRetryAfter))
        }
        return .retry(after: delay(afterAttempt: attempt, retryAfter: retryAfter))
    }
}

/// The outcome of `RetryPolicy.decision`.
///
/// Thread-safety: an immutable value.
package enum RetryDecision: Equatable, Sendable {
    /// Try the same source again after this many seconds.
    case retry(after: Double)
    /// Stop retrying this source; the error to report (or to fall back to another source on).
    case giveUp(TransferError)
}
