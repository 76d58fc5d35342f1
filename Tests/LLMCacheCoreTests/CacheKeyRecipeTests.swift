import Testing

@testable import LLMCacheCore

@Suite struct CacheKeyRecipeTests {
    func key(
        _ body: String, namespace: String = "", tenant: [UInt8] = [], headers: [HeaderField] = [],
        path: String = "/v1/chat/completions"
    ) throws -> CacheKey {
        let (_, canonical) = try RequestNormalizer.openAI.normalize(Array(body.utf8))
        return CacheKeyRecipe(
            namespace: namespace, tenant: tenant, upstream: "openai", method: "POST", path: path, headers: headers,
            canonicalBody: canonical
        ).key
    }

    let base = #"{"model":"gpt-4o-mini","temperature":0.7,"messages":[{"role":"user","content":"Hi"}]}"#

    @Test func orderWhitespaceAndNumberSpellingDoNotChangeTheKey() throws {
        let reference = try key(base)
        #expect(
            try key(
                #"{ "messages" : [ { "content":"Hi", "role":"user" } ], "temperature": 7e-1, "model":"gpt-4o-mini" }"#)
                == reference)
        #expect(
            try key(#"{"model":"gpt-4o-mini","temperature":0.70,"messages":[{"role":"user","content":"Hi"}]}"#)
                == reference)
    }

    @Test func ignoredFieldsDoNotChangeTheKey() throws {
        let reference = try key(base)
        #expect(
            try key(
                #"{"model":"gpt-4o-mini","temperature":0.7,"messages":[{"role":"user","content":"Hi"}],"user":"alice","metadata":{"run":"7"},"store":true}"#
            ) == reference)
    }

    @Test(arguments: [
        #"{"model":"gpt-4o","temperature":0.7,"messages":[{"role":"user","content":"Hi"}]}"#,
        #"{"model":"gpt-4o-mini","temperature":0.8,"messages":[{"role":"user","content":"Hi"}]}"#,
        #"{"model":"gpt-4o-mini","temperature":0.7,"messages":[{"role":"user","content":"Hi!"}]}"#,
        #"{"model":"gpt-4o-mini","temperature":0.7,"messages":[{"role":"user","content":"Hi"}],"stream":true}"#,
        #"{"model":"gpt-4o-mini","temperature":0.7,"messages":[{"role":"system","content":"Hi"}]}"#,
        #"{"model":"gpt-4o-mini","temperature":0.7,"messages":[{"role":"user","content":"Hi"}],"seed":1}"#,
    ])
    func answerChangingFieldsChangeTheKey(body: String) throws {
        #expect(try key(body) != key(base))
    }

    @Test func everyOtherInputChangesTheKey() throws {
        let reference = try key(base)
        #expect(try key(base, namespace: "ci") != reference)
        #expect(try key(base, path: "/v1/completions") != reference)
        #expect(try key(base, headers: [HeaderField(name: "openai-beta", value: "assistants=v2")]) != reference)
        #expect(
            try key(base, headers: [HeaderField(name: "Anthropic-Version", value: "1")])
                == key(base, headers: [HeaderField(name: "anthropic-version", value: "1")]))
    }

    @Test func twoCredentialsNeverShareAKeyUnlessSharingIsOn() throws {
        let secret = TenantScope.newSecret()
        let alice = TenantScope.scope(credential: "Bearer sk-alice", secret: secret)
        let bob = TenantScope.scope(credential: "Bearer sk-bob", secret: secret)
        #expect(alice != bob)
        #expect(try key(base, tenant: alice) != key(base, tenant: bob))
        #expect(try key(base, tenant: []) == key(base, tenant: []), "shared: no tenant in the key")
        #expect(
            TenantScope.scope(credential: "Bearer sk-alice", secret: TenantScope.newSecret()) != alice,
            "scopes depend on the store's secret")
        #expect(!alice.elementsEqual("Bearer sk-alice".utf8))
    }
}
