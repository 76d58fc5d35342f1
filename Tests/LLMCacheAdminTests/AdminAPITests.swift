import AsyncHTTPClient
import LLMCacheAdmin
import LLMCacheCore
import LLMCacheServer
import LLMCacheTestSupport
import LLMCacheToolkit
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct AdminAPITests {
    let scratch = ScratchDirectory()

    /// A request to the admin listener.
    func admin(
        _ harness: ProxyHarness, _ method: HTTPMethod, _ path: String, body: String? = nil, token: String? = nil
    ) async throws -> ProxyHarness.Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(harness.adminPort!)\(path)")
        request.method = method
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        return try await harness.send(request)
    }

    func status(_ harness: ProxyHarness, _ content: String, namespace: String? = nil) async throws -> String? {
        let headers = namespace.map { [("x-llmcache-namespace", $0)] } ?? []
        return try await harness.post("/v1/chat/completions", chat(content), headers: headers).header(
            "x-llmcache-status")
    }

    /// The admin listener serves its own small share of connections (so that it cannot take
    /// the proxy's file descriptors): one beyond it is answered 503 and closed.
    @Test func theAdminListenerHasItsOwnConnectionLimit() async throws {
        try await ProxyHarness.run(store: nil, admin: AdminConfiguration(port: 0)) { harness in
            var held: [RawConnection] = []
            for _ in 0..<AdminServer.maximumConnections {
                let connection = try RawConnection(port: harness.adminPort!)
                connection.send("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
                #expect(try await connection.read(until: "\r\n\r\n").hasPrefix("HTTP/1.1 200"))
                held.append(connection)
            }
            let refused = try RawConnection(port: harness.adminPort!)
            let (text, closed) = try await refused.readToClose()
            #expect(text.hasPrefix("HTTP/1.1 503"), "\(text.prefix(100))")
            #expect(closed)
            held.removeAll()
            // The proxy listener is not affected.
            #expect(try await harness.post("/v1/chat/completions", chat("still")).status == 200)
        }
    }

    /// A library user gets the same refusal as the command line: the assembly will not build an
    /// admin API open to other machines without a token.
    @Test func anOpenAdminListenerWithoutATokenDoesNotStart() async throws {
        #expect(throws: AdminConfigurationError.self) {
            try AdminConfiguration(host: "0.0.0.0", port: 0).validate()
        }
        try AdminConfiguration(host: "0.0.0.0", port: 0, token: "t").validate()
        try AdminConfiguration(host: "0.0.0.0", port: 0, allowOpen: true).validate()
        try AdminConfiguration(host: "127.0.0.1", port: 0).validate()
        await #expect(throws: AdminConfigurationError.self) {
            try await ProxyHarness.run(store: nil, admin: AdminConfiguration(host: "0.0.0.0", port: 0)) { _ in
                Issue.record("the proxy started")
            }
        }
    }

    @Test func withATokenEverythingButHealthNeedsIt() async throws {
        try await ProxyHarness.run(
            store: scratch.path + "/token", admin: AdminConfiguration(host: "127.0.0.1", port: 0, token: "s3cret")
        ) { harness in
            _ = try await status(harness, "keep me")
            for (method, path, body) in [
                (HTTPMethod.POST, "/admin/purge", #"{"all":true}"#), (.POST, "/admin/stats/reset", nil),
                (.GET, "/admin/export", nil), (.GET, "/stats", nil), (.GET, "/metrics", nil),
            ] {
                for token in [nil, "wrong", "s3cre", "s3cret2"] {
                    let reply = try await admin(harness, method, path, body: body, token: token)
                    #expect(reply.status == 401, "\(path) with \(token ?? "no token")")
                    #expect(reply.header("www-authenticate")?.hasPrefix("Bearer") == true)
                    #expect(reply.text.contains("unauthorized"))
                }
            }
            // Nothing was touched: the entry is still there, the counters were not reset.
            #expect(try await status(harness, "keep me") == "HIT")
            #expect(try await admin(harness, .GET, "/healthz").status == 200)
            #expect(try await admin(harness, .GET, "/readyz").status == 200)
            let stats = try await admin(harness, .GET, "/stats", token: "s3cret")
            #expect(stats.status == 200)
            #expect(try JSONParser.parse(stats.body)["requests"]?["HIT"]?.intValue == 1)
        }
    }

    @Test func purgeByKeyNamespaceAndAll() async throws {
        try await ProxyHarness.run(store: scratch.path + "/purge", admin: AdminConfiguration(port: 0)) { harness in
            let first = try await harness.post("/v1/chat/completions", chat("one"))
            let key = try #require(first.header("x-llmcache-key"))
            _ = try await status(harness, "two")
            _ = try await status(harness, "three", namespace: "team-a")
            _ = try await status(harness, "four", namespace: "team-a")

            let byKey = try await admin(harness, .POST, "/admin/purge", body: #"{"key":"\#(key)"}"#)
            #expect(byKey.status == 200)
            #expect(byKey.text == #"{"purged":{"disk":1,"memory":1}}"#)
            #expect(try await status(harness, "one") == "MISS")
            #expect(try await status(harness, "two") == "HIT")

            try await harness.server.store!.flush()
            let byNamespace = try await admin(harness, .POST, "/admin/purge", body: #"{"namespace":"team-a"}"#)
            #expect(byNamespace.text == #"{"purged":{"disk":2,"memory":2}}"#)
            #expect(try await status(harness, "three", namespace: "team-a") == "MISS")
            #expect(try await status(harness, "two") == "HIT")

            try await harness.server.store!.flush()
            let all = try await admin(harness, .POST, "/admin/purge", body: #"{"all":true}"#)
            #expect(all.status == 200)
            #expect(try await status(harness, "two") == "MISS")
        }
    }

    @Test(arguments: [
        "", "not json", "[]", "{}", #"{"key":"abc"}"#, #"{"key":42}"#, #"{"namespace":7}"#, #"{"all":false}"#,
        #"{"all":true,"key":"00"}"#, #"{"everything":true}"#, String(repeating: "[", count: 100),
    ])
    func badPurgeRequestsAreRefusedAndTouchNothing(_ body: String) async throws {
        try await ProxyHarness.run(store: nil, admin: AdminConfiguration(port: 0)) { harness in
            _ = try await status(harness, "stay")
            let reply = try await admin(harness, .POST, "/admin/purge", body: body)
            #expect(reply.status == 400)
            #expect(reply.text.contains("invalid_request"))
            #expect(try await status(harness, "stay") == "HIT")
        }
    }

    @Test func oversizedPurgeBodyAndUnknownEndpoints() async throws {
        try await ProxyHarness.run(store: nil, admin: AdminConfiguration(port: 0)) { harness in
            let big = #"{"namespace":""# + String(repeating: "x", count: 100_000) + #""}"#
            let tooLarge = try await admin(harness, .POST, "/admin/purge", body: big)
            let wrongMethod = try await admin(harness, .GET, "/admin/purge")
            let unknown = try await admin(harness, .GET, "/admin/nothing")
            let export = try await admin(harness, .GET, "/admin/export")
            #expect(tooLarge.status == 413)
            #expect(wrongMethod.status == 405)
            #expect(unknown.status == 404)
            // Memory only: nothing to export.
            #expect(export.status == 404)
        }
    }

    @Test func resetZeroesStats() async throws {
        try await ProxyHarness.run(store: nil, admin: AdminConfiguration(port: 0)) { harness in
            _ = try await status(harness, "count")
            _ = try await status(harness, "count")
            #expect(try await admin(harness, .POST, "/admin/stats/reset").text == #"{"reset":true}"#)
            let stats = try JSONParser.parse(try await admin(harness, .GET, "/stats").body)
            #expect(stats["requests"]?["HIT"]?.intValue == 0)
            #expect(stats["tiers"]?["memory"]?["hits"]?.intValue == 0)
            #expect(stats["tiers"]?["memory"]?["entries"]?.intValue == 1, "gauges are not counters: entries stay")
        }
    }

    @Test func exportStreamsWhatImportReads() async throws {
        try await ProxyHarness.run(store: scratch.path + "/export", admin: AdminConfiguration(port: 0)) { harness in
            for index in 0..<150 { _ = try await status(harness, "entry \(index)", namespace: index < 100 ? "a" : "b") }
            _ = try await harness.post("/v1/chat/completions", chat("streamed", stream: true))
            try await harness.server.store!.flush()

            let all = try await admin(harness, .GET, "/admin/export")
            #expect(all.status == 200)
            #expect(all.header("content-type") == "application/x-ndjson")
            let lines = all.text.split(separator: "\n")
            #expect(lines.count == 1 + 151 + 1)
            #expect(lines.last == #"{"end":{"records":151}}"#)

            // The stream is an export file: import it into a fresh store.
            let file = scratch.path + "/export.jsonl"
            let descriptor = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            _ = all.body.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
            let target = try StoreAccess.openOrCreate(scratch.path + "/imported")
            let summary = try await StoreImport.run(
                file, into: .disk(target), options: .init(), now: SystemClock().now())
            #expect(summary.imported == 151)
            try await target.flush()
            #expect(target.stats.entries == 151)

            let filtered = try await admin(harness, .GET, "/admin/export?namespace=b")
            #expect(filtered.text.split(separator: "\n").last == #"{"end":{"records":50}}"#)
            #expect(try await admin(harness, .GET, "/admin/export?since=yesterday").status == 400)
            let future = try await admin(harness, .GET, "/admin/export?since=2200-01-01T00:00:00Z")
            #expect(future.text.split(separator: "\n").last == #"{"end":{"records":0}}"#)
        }
    }
}
