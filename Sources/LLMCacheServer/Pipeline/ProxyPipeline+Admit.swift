import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCacheUpstream
import Logging
import NIOCore
import NIOHTTP1

/// Stage 1: route the request, read its body, run the before-lookup plugins and choose the mode.
extension ProxyPipeline {
    enum Admission {
        /// A plugin answered.
        case answered(ProxyAnswer)
        /// Forward without touching the cache (not cacheable, passthrough, or a plugin bypassed).
        case bypass(ProxyExchange)
        /// Go on to the key.
        case cacheable(ProxyExchange)
    }

    func admit(_ request: Request, logger: Logger, notes: inout RequestNotes) async throws -> Admission {
        let path = request.uri.path
        let route = try self.route(request)
        var request = request
        var body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maximumRequestBytes)
        } catch is NIOTooManyBytesError {
            throw ProxyError(
                status: .contentTooLarge, type: "request_too_large",
                message: "request body exceeds \(configuration.maximumRequestBytes) bytes")
        } catch let error as HTTPParserError {
            throw ProxyError(
                status: .badRequest, type: "malformed_request", message: "malformed request body framing: \(error)")
        } catch {
            throw ProxyError(
                status: .badRequest, type: "incomplete_request", message: "the request body could not be read: \(error)"
            )
        }
        notes.body = body
        var bypass = false
        if plugins.uses(.beforeLookup) {
            switch try await beforeLookup(request, body: body, route: route) {
            case .answer(let response): return .answered(ProxyAnswer(response, status: .plugin, tier: .plugin))
            case .proceed(let changed, let changedBody, let bypassing):
                request = changed
                body = changedBody
                bypass = bypassing
            }
        }
        let mode = try requestMode(request)
        let exchange = ProxyExchange(request: request, body: body, route: route, mode: mode, logger: logger)
        guard route.caches(method: request.method.rawValue, path: path), mode != .passthrough, !bypass else {
            return .bypass(exchange)
        }
        return .cacheable(exchange)
    }

    /// The route of `request`: by path, then by the provider its credential belongs to. A request
    /// whose credential belongs to another provider than its route's is refused — the
    /// credential never goes to a provider it was not meant for.
    func route(_ request: Request) throws -> RouteTable.Route {
        let path = request.uri.path
        let signal = ProviderSignal.provider(
            of: request.headers.lazy.map { (name: $0.name.canonicalName, value: $0.value) })
        guard let route = configuration.routes.route(for: path, provider: signal) else {
            throw ProxyError(status: .notFound, type: "not_found", message: "no route for \(path)")
        }
        if let signal, signal != route.upstream.provider {
            throw ProxyError(
                status: .badRequest, type: "credential_provider_mismatch",
                message:
                    "this request carries \(Self.providerName(signal)) credentials or headers, but \(path) goes to "
                    + "the \(Self.providerName(route.upstream.provider)) upstream '\(route.upstream.id)'; llmcache "
                    + "never sends a credential to another provider (check the SDK's base URL and the route table)")
        }
        return route
    }

    private static func providerName(_ provider: Upstream.Provider) -> String {
        provider == .anthropic ? "Anthropic" : "OpenAI"
    }

    /// Proxies without touching the cache. The body is relayed through a flight that keeps
    /// nothing, read beside the response under the upstream timeouts and at the client's pace.
    func forward(_ exchange: ProxyExchange) async throws -> ProxyAnswer {
        let started = ContinuousClock.now
        let upstream = try await send(exchange)
        let flight = services.flights.newFlight(retaining: false)
        // Subscribed before anything is read: nothing has been dropped, the subscription succeeds.
        let chunks = flight.body()!
        flight.deliver(head: .init(status: upstream.status, headers: upstream.headers))
        let relay = UpstreamRelay(client: services.client, flight: flight, started: started)
        let logger = exchange.logger
        let isStream = ProxyHeaders.isEventStream(upstream.headers)
        let body = ResponseBody { writer in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    if let error = await relay.runToEnd(upstream.body) {
                        logger.debug("pass-through body ended early", metadata: ["error": "\(error)"])
                    }
                }
                try await Self.relay(chunks, isStream: isStream, to: &writer)
            }
        }
        let response = Response(
            status: .init(code: upstream.status), headers: ProxyHeaders.fields(upstream.headers), body: body)
        return ProxyAnswer(response, status: .bypass, tier: .upstream)
    }

    func requestMode(_ request: Request) throws -> CacheMode {
        guard let value = request.headers[ProxyHeaders.mode] else { return configuration.mode }
        guard let mode = CacheMode(rawValue: value.lowercased()) else {
            throw ProxyError.badRequest(
                "x-llmcache-mode must be one of \(CacheMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return mode
    }
}
