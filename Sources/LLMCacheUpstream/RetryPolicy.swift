import LLMCacheCore

/// When and how long to wait before trying an upstream again: connect errors, 429 and 5xx are
/// retried with exponential backoff and full jitter, honouring `Retry-After` (in seconds) — and
/// only while nothing has been sent to the client yet (the caller's duty).
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all (1: no retries).
    public var maximumAttempts: Int
    public var baseDelay: Duration
    public var maximumDelay: Duration
    /// A `Retry-After` longer than this is not waited for: the answer goes to the client.
    public var maximumRetryAfter: Duration

    public init(
        maximumAttempts: Int = 3, baseDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(5),
        maximumRetryAfter: Duration = .seconds(30)
    ) {
        self.maximumAttempts = maximumAttempts
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.maximumRetryAfter = maximumRetryAfter
    }

    public static let none = RetryPolicy(maximumAttempts: 1)

    /// Whether an answer with `status` is worth another attempt.
    public static func isRetryable(status: Int) -> Bool {
        status == 429 || status == 502 || status == 503 || status == 504 || status == 500
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1), or nil to stop: out of
    /// attempts, or a `Retry-After` beyond `maximumRetryAfter`. `random` is in [0, 1).
    public func delay(afterAttempt attempt: Int, retryAfter: String?, random: Double) -> Duration? {
        guard attempt < maximumAttempts else { return nil }
        if let retryAfter, let seconds = Int(retryAfter.trimmedSpaces), seconds >= 0 {
            let wait = Duration.seconds(seconds)
            return wait <= maximumRetryAfter ? wait : nil
        }
        // Full jitter: uniform in [0, min(max, base · 2^(attempt-1))].
        let exponent = min(attempt - 1, 20)
        let ceiling = min(baseDelay * (1 << exponent), maximumDelay)
        return ceiling * random
    }
}
