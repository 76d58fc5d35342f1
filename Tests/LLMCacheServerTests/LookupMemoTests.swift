import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCacheTestSupport
import LLMCacheUpstream
import NIOCore
import Testing

@testable import LLMCacheServer

/// The lean path's memo of lookups by exact request: only the same bytes under the same secret
/// find an entry, it stays bounded, and a reload starts an empty one.
@Suite struct LookupMemoTests {
    private static let fields: HTTPFields = [.contentType: "application/json", .authorization: "Bearer sk-alice"]
    private static let body = ByteBuffer(string: chat("memo"))

    private static func lookup(_ content: String = "memo") throws -> CacheLookup {
        let configuration = ProxyConfiguration(storeDirectory: nil)
        let head = HTTPRequest(
            method: .post, scheme: "http", authority: "x", path: "/v1/chat/completions", headerFields: fields)
        return try CacheLookup(
            request: Request(head: head, body: RequestBody(buffer: body)),
            route: configuration.routes.route(for: "/v1/chat/completions")!,
            canonical: Array(chat(content).utf8), model: "gpt-4o-mini", mode: .readwrite,
            configuration: configuration, tenantScopes: TenantScopeCache(secret: [1, 2, 3]))
    }

    @Test func onlyTheSameRequestUnderTheSameSecretFindsItsLookup() throws {
        let memo = LookupMemo()
        let lookup = try Self.lookup()
        let path = "/v1/chat/completions"
        memo.remember(lookup, path: path, fields: Self.fields, body: Self.body, tenantGeneration: 0)
        #expect(memo.lookup(path: path, fields: Self.fields, body: Self.body, tenantGeneration: 0)?.key == lookup.key)
        // Another byte of the body, another header value, another path or secret: nothing.
        #expect(
            memo.lookup(path: path, fields: Self.fields, body: ByteBuffer(string: chat("memO")), tenantGeneration: 0)
                == nil)
        var bob = Self.fields
        bob[.authorization] = "Bearer sk-bob"
        #expect(memo.lookup(path: path, fields: bob, body: Self.body, tenantGeneration: 0) == nil)
        var more = Self.fields
        more[HTTPField.Name("x-llmcache-namespace")!] = "other"
        #expect(memo.lookup(path: path, fields: more, body: Self.body, tenantGeneration: 0) == nil)
        #expect(memo.lookup(path: "/v1/completions", fields: Self.fields, body: Self.body, tenantGeneration: 0) == nil)
        #expect(memo.lookup(path: path, fields: Self.fields, body: Self.body, tenantGeneration: 1) == nil)
    }

    @Test func itForgetsEverythingWhenFull() throws {
        let memo = LookupMemo(maximumEntries: 3, maximumBytes: 1 << 20)
        let lookup = try Self.lookup()
        for index in 0..<3 {
            memo.remember(
                lookup, path: "/v1/chat/completions", fields: Self.fields, body: ByteBuffer(string: chat("\(index)")),
                tenantGeneration: 0)
        }
        #expect(memo.count == 3)
        memo.remember(
            lookup, path: "/v1/chat/completions", fields: Self.fields, body: ByteBuffer(string: chat("3")),
            tenantGeneration: 0)
        #expect(memo.count == 1)
        let large = ByteBuffer(repeating: 32, count: LookupMemo.maximumBodyBytes + 1)
        memo.remember(lookup, path: "/v1/chat/completions", fields: Self.fields, body: large, tenantGeneration: 0)
        #expect(memo.count == 1, "a body over 64 KiB is not remembered")
        let bounded = LookupMemo(maximumEntries: 100, maximumBytes: 1_000)
        for index in 0..<10 {
            bounded.remember(
                lookup, path: "/v1/chat/completions", fields: Self.fields, body: ByteBuffer(string: chat("\(index)")),
                tenantGeneration: 0)
        }
        #expect(bounded.count < 10, "the bytes bound holds")
    }

    @Test func aRememberedRequestNeverAnswersAnotherCredential() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let alice = [("authorization", "Bearer sk-alice")]
            for _ in 0..<3 { _ = try await harness.post("/v1/chat/completions", chat("whose?"), headers: alice) }
            #expect(harness.server.metrics.snapshot.fastHits == 2)
            #expect(harness.server.runtime.current.lookups.count == 1, "remembered after its first hit")
            let bob = try await harness.post(
                "/v1/chat/completions", chat("whose?"), headers: [("authorization", "Bearer sk-bob")])
            #expect(bob.header("x-llmcache-status") == "MISS")
            #expect(harness.stats.requestCount == 2)
        }
    }

    @Test func aReloadStartsAnEmptyMemo() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            for _ in 0..<2 { _ = try await harness.post("/v1/chat/completions", chat("reloaded")) }
            #expect(harness.server.runtime.current.lookups.count == 1)
            var changed = harness.server.currentConfiguration
            changed.defaultTTL = .seconds(60)
            try await harness.server.apply(changed, plugins: .empty)
            #expect(harness.server.runtime.current.lookups.count == 0)
            let again = try await harness.post("/v1/chat/completions", chat("reloaded"))
            #expect(again.header("x-llmcache-status") == "HIT")
        }
    }
}
