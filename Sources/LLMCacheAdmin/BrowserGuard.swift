import HTTPTypes
import Hummingbird
import LLMCacheConfig
import LLMCacheCore
import LLMCacheServer

/// Keeps other web pages out of the admin API, now that browsers visit it (the dashboard):
///
/// - **Cross-site requests that change things.** A page elsewhere can make the browser send a
///   `POST` to `http://127.0.0.1:8091/admin/purge` (no preflight for a plain-text body); the
///   browser names that page in `Origin`. A request that is not `GET`/`HEAD` and carries an
///   `Origin` other than the admin listener's own is refused (403). Tools (`curl`, Prometheus,
///   `llmcache stats`) send no `Origin`.
/// - **DNS rebinding.** A page on `attacker.example` whose name then resolves to 127.0.0.1 is
///   "same origin" with it, and could read `/stats` or the export. Without a token on a loopback
///   listener, a request must name the listener by `localhost` or an IP address in `Host`
///   (403 otherwise). With a token the token guards it: a rebound page does not have it.
struct BrowserGuard: Sendable {
    /// Check `Host` (no token, loopback listener).
    let checksHost: Bool

    init(host: String, token: String?) {
        checksHost = token == nil && isLoopbackAddress(host)
    }

    /// The refusal for `request`, or nil when it may go on.
    func refusal(_ request: Request) -> Response? {
        let host = request.head.authority ?? ""
        if checksHost, !Self.namesThisMachine(host) {
            return AdminResponder.error(
                .forbidden, "host_not_allowed",
                "without a token this admin API answers only requests addressed to localhost or an IP address (Host: \(host.prefix(100)))"
            )
        }
        if request.method != .get, request.method != .head, let origin = request.headers[.origin],
            origin != "http://\(host)"
        {
            return AdminResponder.error(
                .forbidden, "cross_origin",
                "a request from another site's page (Origin: \(origin.prefix(100))) may not change anything here")
        }
        return nil
    }

    /// `localhost`, an IPv4 address or a bracketed IPv6 address, with or without a port.
    static func namesThisMachine(_ host: String) -> Bool {
        if host.hasPrefix("[") { return host.contains("]") }
        let name = host.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        if name.lowercased() == "localhost" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in UInt8(part) != nil }
    }
}
