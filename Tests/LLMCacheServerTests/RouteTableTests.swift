import LLMCacheCore
import Testing

@testable import LLMCacheUpstream

@Suite struct RouteTableTests {
    let table = RouteTable.standard(
        openAI: Upstream(id: "openai", baseURL: "http://o", provider: .openAI),
        anthropic: Upstream(id: "anthropic", baseURL: "http://a", provider: .anthropic))

    @Test func longestPrefixWinsAndNamesMatchWhole() {
        #expect(table.route(for: "/v1/chat/completions")?.cacheable == true)
        #expect(table.route(for: "/v1/messages")?.upstream.id == "anthropic")
        #expect(table.route(for: "/v1/messages/count_tokens")?.upstream.id == "anthropic")
        #expect(table.route(for: "/v1/chat/completionsX")?.cacheable == false, "not a longer name")
        #expect(table.route(for: "/v1/models")?.cacheable == false)
        #expect(table.route(for: "/healthz") == nil)
    }

    @Test func extraRoutesParseAndWin() throws {
        let azure = try RouteTable.parseRoute("/openai/deployments=https://x.openai.azure.com")
        #expect(azure.upstream.baseURL == "https://x.openai.azure.com" && azure.upstream.provider == .openAI)
        let claude = try RouteTable.parseRoute("/v1/messages=http://127.0.0.1:9000/,anthropic")
        #expect(claude.upstream.provider == .anthropic && claude.upstream.baseURL == "http://127.0.0.1:9000")
        let extended = table.adding([azure, claude])
        #expect(
            extended.route(for: "/openai/deployments/gpt4/chat/completions")?.upstream.id == "route:/openai/deployments"
        )
        #expect(extended.route(for: "/v1/messages")?.upstream.baseURL == "http://127.0.0.1:9000")
    }

    @Test func onlyTheProvidersPureEndpointsAreCached() {
        let cached: [(String, String)] = [
            ("POST", "/v1/chat/completions"), ("POST", "/v1/completions"), ("POST", "/v1/embeddings"),
            ("POST", "/v1/responses"), ("POST", "/v1/messages"), ("POST", "/v1/messages/count_tokens"),
            ("POST", "/v1/chat/completions/"),
        ]
        let passed: [(String, String)] = [
            ("GET", "/v1/chat/completions"), ("POST", "/v1/chat/completions/chatcmpl-1"),
            ("POST", "/v1/responses/resp_1/cancel"), ("GET", "/v1/responses/resp_1"),
            ("POST", "/v1/messages/batches"), ("POST", "/v1/messages/batches/b1/cancel"), ("POST", "/v1/files"),
            ("POST", "/v1/models"), ("POST", "/v1/threads/t1/messages"), ("POST", "/v1/uploads/u1/complete"),
        ]
        for (method, path) in cached {
            let route = table.route(for: path)
            #expect(route?.caches(method: method, path: path) == true, "\(method) \(path)")
        }
        for (method, path) in passed {
            let route = table.route(for: path)
            #expect(route?.caches(method: method, path: path) == false, "\(method) \(path)")
        }
        // A custom prefix: right after the prefix, or after a version segment.
        let azure = RouteTable.Route(
            prefix: "/openai/deployments/gpt4", upstream: Upstream(id: "az", baseURL: "http://a", provider: .openAI),
            cacheable: true)
        #expect(azure.caches(method: "POST", path: "/openai/deployments/gpt4/chat/completions"))
        #expect(!azure.caches(method: "POST", path: "/openai/deployments/gpt4/files"))
        let vllm = RouteTable.Route(
            prefix: "/local", upstream: Upstream(id: "l", baseURL: "http://l", provider: .openAI), cacheable: true)
        #expect(vllm.caches(method: "POST", path: "/local/v1/chat/completions"))
        #expect(!vllm.caches(method: "POST", path: "/local/x/chat/completions"))
    }

    @Test func theCredentialPicksTheProvidersRouteAmongEqualPrefixes() {
        func headers(_ pairs: (String, String)...) -> [(name: String, value: String)] {
            pairs.map { (name: $0.0, value: $0.1) }
        }
        #expect(ProviderSignal.provider(of: headers(("x-api-key", "k"))) == .anthropic)
        #expect(ProviderSignal.provider(of: headers(("anthropic-version", "2023-06-01"))) == .anthropic)
        #expect(ProviderSignal.provider(of: headers(("authorization", "Bearer sk-ant-oat01-x"))) == .anthropic)
        #expect(ProviderSignal.provider(of: headers(("authorization", "Bearer sk-proj-x"))) == .openAI)
        #expect(ProviderSignal.provider(of: headers(("openai-organization", "org-1"))) == .openAI)
        #expect(ProviderSignal.provider(of: headers(("authorization", "Bearer local-llm-token"))) == nil)
        #expect(ProviderSignal.provider(of: headers()) == nil)
        #expect(table.route(for: "/v1/models", provider: .anthropic)?.upstream.id == "anthropic")
        #expect(table.route(for: "/v1/models", provider: .openAI)?.upstream.id == "openai")
        #expect(table.route(for: "/v1/models")?.upstream.id == "openai", "no signal: the OpenAI-compatible upstream")
        // A longer prefix wins over the signal; the proxy then refuses the mismatch.
        #expect(table.route(for: "/v1/chat/completions", provider: .anthropic)?.upstream.id == "openai")
    }

    @Test(arguments: ["", "/x", "x=http://h", "/x=ftp://h", "/x=http://h,bogus", "/a b=http://h"])
    func badRoutesAreClearErrors(text: String) {
        #expect(throws: RouteError.self) { try RouteTable.parseRoute(text) }
    }
}

@Suite struct UpstreamCredentialTests {
    let client = [
        HeaderField(name: "Authorization", value: "Bearer sk-client"),
        HeaderField(name: "x-api-key", value: "sk-ant-client"),
        HeaderField(name: "content-type", value: "application/json"),
    ]

    @Test func aFallbackOfAnotherProviderNeverGetsTheClientsCredential() {
        let anthropic = Upstream(id: "claude", baseURL: "http://127.0.0.1:1", provider: .anthropic)
        #expect(
            UpstreamDispatcher.headers(client, for: anthropic, primary: .openAI) == [
                HeaderField(name: "content-type", value: "application/json")
            ])
        #expect(UpstreamDispatcher.headers(client, for: anthropic, primary: .anthropic) == client)
    }

    @Test func theClientsCredentialPassesToAnUpstreamWithoutItsOwn() {
        let upstream = Upstream(id: "openai", baseURL: "http://127.0.0.1:1", provider: .openAI)
        #expect(UpstreamDispatcher.headers(client, for: upstream) == client)
    }

    @Test func anUpstreamsOwnCredentialReplacesTheClientsWhateverTheCase() {
        let openAI = Upstream(id: "openai", baseURL: "http://127.0.0.1:1", provider: .openAI, credential: "sk-server")
        #expect(
            UpstreamDispatcher.headers(client, for: openAI) == [
                HeaderField(name: "content-type", value: "application/json"),
                HeaderField(name: "authorization", value: "Bearer sk-server"),
            ])
        let anthropic = Upstream(
            id: "anthropic", baseURL: "http://127.0.0.1:1", provider: .anthropic, credential: "sk-ant-server")
        #expect(
            UpstreamDispatcher.headers(client, for: anthropic) == [
                HeaderField(name: "content-type", value: "application/json"),
                HeaderField(name: "x-api-key", value: "sk-ant-server"),
            ])
    }
}
