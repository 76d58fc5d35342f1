import AsyncHTTPClient
import LLMCacheCore
import NIOCore

/// Reads `/stats` of a running proxy (its own listener or the admin API's).
public enum StatsFetch {
    /// `base` is `http://HOST:PORT` (a trailing `/stats` is accepted); `token` is sent as a bearer
    /// token when given.
    /// `view`: `dashboard` adds the last hour and the recent misses when `base` is the admin
    /// API (the proxy's own listener ignores it).
    public static func fetch(base: String, token: String?, view: String? = nil) async throws -> JSONValue {
        var url = base
        while url.hasSuffix("/") { url.removeLast() }
        if !url.hasSuffix("/stats") { url += "/stats" }
        if let view { url += "?view=\(view)" }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ToolkitError("--url must start with http:// or https://, got \(base)")
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            var request = HTTPClientRequest(url: url)
            if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
            let response: HTTPClientResponse
            do { response = try await client.execute(request, timeout: .seconds(10)) } catch {
                throw ToolkitError("cannot reach \(url): \(error)")
            }
            let body = try await response.body.collect(upTo: 4 << 20)
            guard response.status.code == 200 else {
                throw ToolkitError("\(url) answered \(response.status.code): \(String(buffer: body).prefix(300))")
            }
            let value: JSONValue
            do { value = try JSONParser.parse(body.readableBytesView, maximumDepth: 8) } catch {
                throw ToolkitError("\(url) did not answer JSON: \(error)")
            }
            try await client.shutdown()
            return value
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
