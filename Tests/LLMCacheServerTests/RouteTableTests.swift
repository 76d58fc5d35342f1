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
