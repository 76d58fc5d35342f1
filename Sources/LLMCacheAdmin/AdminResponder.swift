import HTTPTypes
import Hummingbird
import LLMCacheConfig
import LLMCacheCore
import LLMCacheServer
import LLMCacheStore
import LLMCacheToolkit
import NIOCore

/// Answers the admin API (see ``AdminServer``). Every error is a JSON error object; a request
/// without the configured token is refused before anything is read or touched.
struct AdminResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let proxy: ProxyServer
    let endpoints: ObservabilityEndpoints
    let token: BearerToken?
    /// The settings in force, for the dashboard (secrets redacted); nil: not known here.
    let settings: @Sendable () -> LLMCacheSettings?
    let browsers: BrowserGuard

    func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        let open = path == "/healthz" || path == "/readyz"
        if !open, let refusal = browsers.refusal(request) { return refusal }
        if !open, let token, !token.admits(request.headers) {
            // The page itself holds no data: without a token it is still sent (as a 401), and
            // asks for the token it then sends with every request it makes.
            var response =
                path == "/dashboard" && request.method == .get
                ? DashboardPage.response(status: .unauthorized)
                : Self.error(.unauthorized, "unauthorized", "this admin API needs Authorization: Bearer TOKEN")
            response.headers[.wwwAuthenticate] = #"Bearer realm="llmcache-admin""#
            return response
        }
        if path == "/stats", request.method == .get, request.uri.queryParameters.get("view") == "dashboard" {
            return await dashboardStats()
        }
        if let response = endpoints.response(method: request.method, path: path) { return response }
        switch (request.method, path) {
        case (.get, "/dashboard"), (.head, "/dashboard"): return DashboardPage.response(status: .ok)
        case (_, "/dashboard"):
            return Self.error(.methodNotAllowed, "method_not_allowed", "/dashboard answers GET only")
        case (.post, "/admin/purge"): return await purge(request)
        case (.post, "/admin/stats/reset"):
            endpoints.resetStats()
            return Self.json(#"{"reset":true}"#)
        case (.get, "/admin/export"): return export(request, context: context)
        case (_, "/admin/purge"), (_, "/admin/stats/reset"), (_, "/admin/export"):
            return Self.error(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(path)")
        default:
            return Self.error(.notFound, "not_found", "no admin endpoint \(path)")
        }
    }

    /// `/stats` with the last hour, the recent misses explained, and the running configuration
    /// (secrets redacted): everything ``DashboardPage`` shows, from one request.
    private func dashboardStats() async -> Response {
        guard case .object(var members) = await endpoints.dashboardJSON() else {
            return Self.error(.internalServerError, "stats_failed", "the stats are not an object")
        }
        members.append(
            JSONMember(
                key: "configuration",
                value: .object([
                    JSONMember(
                        key: "yaml", value: settings().map { .string($0.yaml(redactingSecrets: true)) } ?? .null),
                    JSONMember(key: "plugins", value: .array(proxy.pluginNames.map { .string($0) })),
                ])))
        var response = Self.json(String(decoding: CanonicalJSON.serialize(.object(members)), as: UTF8.self))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    private func purge(_ request: Request) async -> Response {
        var request = request
        guard let body = try? await request.collectBody(upTo: 64 << 10) else {
            return Self.error(.contentTooLarge, "request_too_large", "a purge request is at most 64 KiB")
        }
        guard let value = try? JSONParser.parse(body.readableBytesView, maximumDepth: 4),
            case .object(let members) = value,
            members.count == 1
        else {
            return Self.error(
                .badRequest, "invalid_request",
                #"expected one of {"key":"<64 hex digits>"}, {"namespace":"NAME"}, {"all":true}"#)
        }
        let cache = proxy.cache
        do {
            switch (members[0].key, members[0].value) {
            case ("key", .string(let hex)):
                guard let key = CacheKey(hex: hex) else {
                    return Self.error(.badRequest, "invalid_request", "key must be 64 hex digits")
                }
                return Self.purged(await cache.remove(key))
            case ("namespace", .string(let namespace)):
                return Self.purged(try await cache.removeAll(namespace: namespace))
            case ("all", .bool(true)):
                return Self.purged(try await cache.removeAll())
            default:
                return Self.error(
                    .badRequest, "invalid_request",
                    #"expected one of {"key":"<64 hex digits>"}, {"namespace":"NAME"}, {"all":true}"#)
            }
        } catch {
            return Self.error(.internalServerError, "purge_failed", "\(error)")
        }
    }

    private func export(_ request: Request, context: Context) -> Response {
        guard let disk = proxy.store else {
            return Self.error(
                .notFound, "no_disk_tier", "the proxy runs without a disk tier: there is nothing to export")
        }
        let query = request.uri.queryParameters
        var filter = EntryFilter()
        filter.namespace = query.get("namespace")
        filter.model = query.get("model")
        if let since = query.get("since") {
            guard let timestamp = Timestamp(iso8601: since) else {
                return Self.error(
                    .badRequest, "invalid_request", "since must be an ISO 8601 time, e.g. 2026-11-26T10:00:00Z")
            }
            filter.since = timestamp
        }
        let now = SystemClock().now()
        let logger = context.logger
        let chosen = filter
        return Response(
            status: .ok, headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                let summary = try await StoreExport.stream(store: disk, filter: chosen, now: now) {
                    try await writer.write($0)
                }
                for (key, reason) in summary.unreadable {
                    logger.warning(
                        "export skipped an unreadable record", metadata: ["key": "\(key)", "reason": "\(reason)"])
                }
                try await writer.finish(nil)
            })
    }

    /// `{"purged":{TIER:COUNT,...}}`, tiers sorted by name; a proxy without a disk tier still
    /// reports `"disk":0`, as it always has.
    private static func purged(_ removed: [String: Int]) -> Response {
        var counts = removed
        if counts["disk"] == nil { counts["disk"] = 0 }
        let members = counts.sorted { $0.key < $1.key }.map { #""\#($0.key)":\#($0.value)"# }
        return json(#"{"purged":{"# + members.joined(separator: ",") + "}}")
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func error(_ status: HTTPResponse.Status, _ type: String, _ message: String) -> Response {
        ProxyError(status: status, type: type, message: message).response
    }
}
