import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCachePlugins
import LLMCacheUpstream
import Logging
import NIOCore

/// Sending to the upstream through the dispatcher (credentials, providers, retries, fallbacks:
/// `UpstreamDispatcher`), with the metrics and plugin events of each attempt.
extension ProxyPipeline {
    func send(_ exchange: ProxyExchange, retrying: Bool = false) async throws -> UpstreamClient.Response {
        let request = exchange.request
        let body = exchange.body
        var pathAndQuery = request.uri.path
        if let query = request.uri.query, !query.isEmpty { pathAndQuery += "?" + query }
        let dispatcher = UpstreamDispatcher(client: services.client) { [plugins] name, outgoing in
            guard let provider = plugins.providers[name] else {
                throw UpstreamClient.Failure.unreachable("no upstream provider named \(name) in this binary")
            }
            return try await provider.send(outgoing)
        }
        do {
            return try await dispatcher.send(
                method: request.method.rawValue, pathAndQuery: pathAndQuery,
                headers: ProxyHeaders.forwardable(request.headers),
                body: body.readableBytes > 0 || request.method == .post ? body : nil, route: exchange.route,
                effort: retrying ? .retryingWithFallbacks : .once, logger: exchange.logger
            ) { event in await upstreamEvent(event, request: request, retrying: retrying) }
        } catch .timeout(let detail) {
            throw ProxyError(status: .gatewayTimeout, type: "upstream_timeout", message: detail)
        } catch .unreachable(let detail) {
            throw ProxyError(status: .badGateway, type: "upstream_unreachable", message: detail)
        }
    }

    /// Counts an attempt and tells the plugins about upstream errors: a 5xx answer to a fetch
    /// (or from a plugin's provider), and a route whose every upstream failed.
    private func upstreamEvent(_ event: UpstreamDispatcher.Event, request: Request, retrying: Bool) async {
        switch event {
        case .answered(let upstream, let status, let nanoseconds):
            services.metrics.upstreamCall(
                upstream.id, nanoseconds: nanoseconds, error: status >= 500 ? "status_5xx" : nil)
            if status >= 500, retrying || upstream.customProvider != nil, plugins.uses(.upstreamError) {
                await upstreamFailed(
                    UpstreamErrorEvent(
                        upstream: upstream.id, method: request.method.rawValue, path: request.uri.path, kind: "status",
                        status: status, message: "upstream answered \(status)"))
            }
        case .failed(let upstream, let failure):
            services.metrics.upstreamCall(upstream.id, nanoseconds: nil, error: failure.kind)
        case .gaveUp(let upstream, let last):
            guard plugins.uses(.upstreamError) else { return }
            await upstreamFailed(
                UpstreamErrorEvent(
                    upstream: upstream.id, method: request.method.rawValue, path: request.uri.path,
                    kind: last?.kind ?? "unreachable", status: nil,
                    message: last.map { "\($0)" } ?? "no upstream answered"))
        }
    }
}
