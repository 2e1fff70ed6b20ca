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
}
