import LLMCacheCore
import Logging
import NIOCore

/// Sends a request to its route's upstream — the one place that knows how: the upstream's own
/// credential in place of the client's, the HTTP client or a named provider, retries with
/// backoff, then the route's fallbacks in order — and reports every attempt.
public struct UpstreamDispatcher: Sendable {
    /// How hard to try.
    public enum Effort: Sendable {
        /// One attempt at the route's upstream (pass-through requests).
        case once
        /// Retries, then the fallbacks (fetches of cacheable answers).
        case retryingWithFallbacks
    }

    /// What happened at one upstream, for metrics and plugins.
    public enum Event: Sendable {
        /// It answered (any status) after `nanoseconds` until the response head.
        case answered(Upstream, status: Int, nanoseconds: Int64)
        /// It could not be reached or timed out.
        case failed(Upstream, UpstreamClient.Failure)
        /// Every candidate failed; `last` is the last failure (nil: none was tried).
        case gaveUp(route: Upstream, last: UpstreamClient.Failure?)
    }

    /// Carries a request for `upstreams.<id>.provider: NAME` (a plugin's provider).
    public typealias Transport =
        @Sendable (_ name: String, _ request: UpstreamRequest) async throws -> UpstreamClient.Response

    let client: UpstreamClient
    let transport: Transport

    public init(client: UpstreamClient, transport: @escaping Transport) {
        self.client = client
        self.transport = transport
    }

    /// Sends `method pathAndQuery` with `headers` (the client's forwardable headers, its
    /// credential included) and `body` along `route`.
    /// - Returns: the first answer that is not retryable, or the last candidate's answer.
    /// - Throws: ``UpstreamClient/Failure`` when no candidate answered.
    public func send(
        method: String, pathAndQuery: String, headers: [HeaderField], body: ByteBuffer?, route: RouteTable.Route,
        effort: Effort, logger: Logger, report: @Sendable (Event) async -> Void
    ) async throws(UpstreamClient.Failure) -> UpstreamClient.Response {
        let retrying = effort == .retryingWithFallbacks
        let candidates = retrying ? [route.upstream] + route.fallbacks : [route.upstream]
        var lastFailure: UpstreamClient.Failure?
        for (index, upstream) in candidates.enumerated() {
            let isLast = index == candidates.count - 1
            // Asked for identity: an answer is stored and replayed as bytes (one compressed anyway
            // is decoded, ContentDecoding).
            let outgoing =
                Self.headers(headers, for: upstream, primary: route.upstream.provider)
                + [HeaderField(name: "accept-encoding", value: "identity")]
            let started = ContinuousClock.now
            do {
                let response: UpstreamClient.Response
                if let name = upstream.customProvider {
                    response = try await viaTransport(
                        name,
                        UpstreamRequest(
                            upstream: upstream, method: method, pathAndQuery: pathAndQuery, headers: outgoing,
                            body: body))
                } else if retrying {
                    response = try await client.sendRetrying(
                        to: upstream, method: method, pathAndQuery: pathAndQuery, headers: outgoing, body: body,
                        logger: logger
                    ).response
                } else {
                    response = try await client.send(
                        to: upstream, method: method, pathAndQuery: pathAndQuery, headers: outgoing, body: body,
                        logger: logger)
                }
                await report(
                    .answered(upstream, status: response.status, nanoseconds: started.nanosecondsElapsed))
                if isLast || !retrying || !RetryPolicy.isRetryable(status: response.status) {
                    return ContentDecoding.decoded(response)
                }
                do {
                    for try await _ in response.body {}  // give up on this upstream, try the next
                } catch {}
                logger.warning(
                    "upstream failing, trying fallback",
                    metadata: ["upstream": "\(upstream.id)", "status": "\(response.status)"])
            } catch let failure as UpstreamClient.Failure {
                await report(.failed(upstream, failure))
                lastFailure = failure
                if !isLast {
                    logger.warning(
                        "upstream failing, trying fallback",
                        metadata: ["upstream": "\(upstream.id)", "error": "\(failure)"])
                }
            } catch {
                let failure = UpstreamClient.Failure.unreachable("\(error)")
                await report(.failed(upstream, failure))
                lastFailure = failure
            }
        }
        await report(.gaveUp(route: route.upstream, last: lastFailure))
        throw lastFailure ?? .unreachable("no upstream answered")
    }

    /// A provider's errors count as the upstream's.
    private func viaTransport(_ name: String, _ request: UpstreamRequest) async throws(UpstreamClient.Failure)
        -> UpstreamClient.Response
    {
        do {
            return try await transport(name, request)
        } catch let failure as UpstreamClient.Failure {
            throw failure
        } catch {
            throw .unreachable("provider \(name): \(error)")
        }
    }

    /// The client's headers for `upstream`: with the upstream's own credential in place of the
    /// client's when it has one (`x-api-key` for Anthropic, a bearer token otherwise). The client's
    /// credential never goes to an upstream of another provider than `primary` (the route's): a
    /// fallback of another provider without a credential of its own gets none.
    static func headers(
        _ headers: [HeaderField], for upstream: Upstream, primary: Upstream.Provider? = nil
    ) -> [HeaderField] {
        let foreign = primary.map { $0 != upstream.provider } ?? false
        guard upstream.credential != nil || foreign else { return headers }
        var result = headers.filter {
            let name = $0.name.lowercased()
            return name != "authorization" && name != "x-api-key"
        }
        guard let credential = upstream.credential else { return result }
        result.append(
            upstream.provider == .anthropic
                ? HeaderField(name: "x-api-key", value: credential)
                : HeaderField(name: "authorization", value: "Bearer \(credential)"))
        return result
    }
}
