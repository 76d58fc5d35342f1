import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCachePlugins
import LLMCacheStore
import LLMCacheUpstream
import Logging
import NIOCore

/// Sending to the upstream: credentials, a custom provider, retries, fallbacks, and the
/// metrics and plugin events of each attempt.
extension ProxyResponder {
    func send(
        _ request: Request, body: ByteBuffer, route: RouteTable.Route, context: Context, retrying: Bool = false
    ) async throws -> UpstreamClient.Response {
        var pathAndQuery = request.uri.path
        if let query = request.uri.query, !query.isEmpty { pathAndQuery += "?" + query }
        let upstreamBody = body.readableBytes > 0 || request.method == .post ? body : nil
        let candidates = retrying ? [route.upstream] + route.fallbacks : [route.upstream]
        var lastFailure: UpstreamClient.Failure?
        for (index, upstream) in candidates.enumerated() {
            let isLast = index == candidates.count - 1
            var headers = ProxyHeaders.forwardable(request.headers, credential: upstream.credential)
            if let credential = upstream.credential {
                headers.append(
                    upstream.provider == .anthropic
                        ? HeaderField(name: "x-api-key", value: credential)
                        : HeaderField(name: "authorization", value: "Bearer \(credential)"))
            }
            let started = ContinuousClock.now
            do {
                if let name = upstream.customProvider {
                    let response = try await viaProvider(
                        name,
                        UpstreamRequest(
                            upstream: upstream, method: request.method.rawValue, pathAndQuery: pathAndQuery,
                            headers: headers,
                            body: upstreamBody))
                    noteUpstream(upstream, response: response, started: started)
                    if response.status >= 500 {
                        await upstreamAnswered5xx(response, upstream: upstream, request: request)
                    }
                    if isLast || !retrying || !RetryPolicy.isRetryable(status: response.status) { return response }
                    for try await _ in response.body {}
                    continue
                }
                if !retrying {
                    let response = try await client.send(
                        to: upstream, method: request.method.rawValue, pathAndQuery: pathAndQuery, headers: headers,
                        body: upstreamBody, logger: context.logger)
                    noteUpstream(upstream, response: response, started: started)
                    return response
                }
                let response = try await client.sendRetrying(
                    to: upstream, method: request.method.rawValue, pathAndQuery: pathAndQuery, headers: headers,
                    body: upstreamBody, logger: context.logger
                ).response
                noteUpstream(upstream, response: response, started: started)
                if response.status >= 500 { await upstreamAnswered5xx(response, upstream: upstream, request: request) }
                if isLast || !RetryPolicy.isRetryable(status: response.status) { return response }
                for try await _ in response.body {}  // give up on this upstream, try the next
                context.logger.warning(
                    "upstream failing, trying fallback",
                    metadata: ["upstream": "\(upstream.id)", "status": "\(response.status)"])
            } catch let failure as UpstreamClient.Failure {
                let kind: String
                switch failure {
                case .timeout: kind = "timeout"
                case .unreachable: kind = "unreachable"
                }
                metrics.upstreamCall(upstream.id, nanoseconds: nil, error: kind)
                lastFailure = failure
                if !isLast {
                    context.logger.warning(
                        "upstream failing, trying fallback",
                        metadata: ["upstream": "\(upstream.id)", "error": "\(failure)"])
                }
            }
        }
        if plugins.uses(.upstreamError) {
            let kind: String
            switch lastFailure {
            case .timeout?: kind = "timeout"
            default: kind = "unreachable"
            }
            await upstreamFailed(
                UpstreamErrorEvent(
                    upstream: route.upstream.id, method: request.method.rawValue, path: request.uri.path, kind: kind,
                    status: nil,
                    message: lastFailure.map { "\($0)" } ?? "no upstream answered"))
        }
        switch lastFailure {
        case .timeout(let detail)?:
            throw ProxyError(status: .gatewayTimeout, type: "upstream_timeout", message: detail)
        case .unreachable(let detail)?:
            throw ProxyError(status: .badGateway, type: "upstream_unreachable", message: detail)
        case nil:
            throw ProxyError(status: .badGateway, type: "upstream_unreachable", message: "no upstream answered")
        }
    }

    private func noteUpstream(_ upstream: Upstream, response: UpstreamClient.Response, started: ContinuousClock.Instant)
    {
        metrics.upstreamCall(
            upstream.id, nanoseconds: Self.nanoseconds(since: started),
            error: response.status >= 500 ? "status_5xx" : nil)
    }
}
