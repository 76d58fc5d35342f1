import LLMCacheTestSupport
import Testing

/// A namespace carried in the URL (`/__llmcache/ns/<namespace>/…`), for clients that can set a
/// base URL but no header (the pytest plugin gives each test one this way).
@Suite struct NamespacePathTests {
    @Test func aNamespaceInThePathSeparatesEntriesLikeTheHeader() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let first = try await harness.post(
                "/__llmcache/ns/tests%2Fa.py%3A%3Atest_one/v1/chat/completions", chat("q"))
            #expect(first.status == 200 && first.header("x-llmcache-status") == "MISS", "\(first.text)")
            // The same namespace by header: the same entry.
            let byHeader = try await harness.post(
                "/v1/chat/completions", chat("q"), headers: [("x-llmcache-namespace", "tests/a.py::test_one")])
            #expect(byHeader.header("x-llmcache-status") == "HIT")
            #expect(byHeader.header("x-llmcache-key") == first.header("x-llmcache-key"))
            // Another namespace, and none: entries of their own.
            let other = try await harness.post("/__llmcache/ns/other/v1/chat/completions", chat("q"))
            #expect(other.header("x-llmcache-status") == "MISS")
            let plain = try await harness.post("/v1/chat/completions", chat("q"))
            #expect(plain.header("x-llmcache-status") == "MISS")
            // The path wins over a header.
            let both = try await harness.post(
                "/__llmcache/ns/other/v1/chat/completions", chat("q"), headers: [("x-llmcache-namespace", "x")])
            #expect(both.header("x-llmcache-status") == "HIT")
            #expect(both.header("x-llmcache-key") == other.header("x-llmcache-key"))
            #expect(harness.stats.requestCount == 3)
        }
    }

    @Test func aBrokenNamespacePathIsA400AndForwardsNothing() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let cases: [(String, String)] = [
                ("/__llmcache/ns/", "namespace path"),
                ("/__llmcache/ns/only-a-namespace", "namespace path"),
                ("/__llmcache/ns//v1/chat/completions", "namespace path"),
                ("/__llmcache/ns/bad%zz/v1/chat/completions", "percent-encoding"),
                ("/__llmcache/ns/bad%ff/v1/chat/completions", "percent-encoding"),
                ("/__llmcache/ns/\(String(repeating: "n", count: 200))/v1/chat/completions", "namespace"),
                ("/__llmcache/ns/sp%20ace/v1/chat/completions", "namespace"),
            ]
            // Sent as written (an HTTP client library would re-escape a broken `%`).
            for (path, fragment) in cases {
                let connection = try RawConnection(port: harness.proxyPort)
                defer { connection.close() }
                let body = chat("q")
                #expect(
                    connection.send(
                        "POST \(path) HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                            + "content-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)"))
                let reply = try await connection.readToClose().text
                #expect(reply.hasPrefix("HTTP/1.1 400"), "\(path): \(reply)")
                #expect(reply.contains(#"{"error":{"type":"invalid_request""#), "\(path): \(reply)")
                #expect(reply.contains(fragment), "\(path): \(reply)")
            }
            #expect(harness.stats.requestCount == 0)
        }
    }

    /// The official SDKs retry a 504 (twice, with back-off); a replay miss says not to.
    @Test func aReplayMissTellsTheSDKsNotToRetry() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let miss = try await harness.post(
                "/__llmcache/ns/t/v1/chat/completions", chat("never stored"), headers: [("x-llmcache-mode", "replay")])
            #expect(miss.status == 504)
            #expect(miss.header("x-should-retry") == "false")
            let upstreamError = try await harness.post(
                "/v1/chat/completions", chat("fails"), headers: [("x-mock-status", "503")])
            #expect(upstreamError.header("x-should-retry") == nil, "only a replay miss says so")
        }
    }
}
