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
                #"{"model":"gpt-4o-mini","temperature":0.7,"messages":[{"role":"user","content":"Hi"}],"user":"alice","metadata":{"run":"7"}}"#
            ) == reference)
        #expect(
            try key(
                #"{"model":"gpt-4o-mini","temperature":0.7,"messages":[{"role":"user","content":"Hi"}],"store":false,"metadata":{"run":"7"}}"#
            )
                == key(
                    #"{"model":"gpt-4o-mini","temperature":0.7,"messages":[{"role":"user","content":"Hi"}],"store":false}"#
                ))
    }

    /// `store` decides whether the provider keeps the answer (and its id), so a `store:false`
    /// answer must never answer a `store:true` request; a stored answer carries its `metadata`.
    @Test func storeIsPartOfTheKeyAndWithItMetadata() throws {
        let stored =
            #"{"model":"gpt-4o-mini","temperature":0.7,"messages":[{"role":"user","content":"Hi"}],"store":true}"#
        let notStored =
            #"{"model":"gpt-4o-mini","temperature":0.7,"messages":[{"role":"user","content":"Hi"}],"store":false}"#
        #expect(try key(stored) != key(notStored))
        #expect(try key(stored) != key(base))
        #expect(try key(notStored) != key(base))
        let tagged =
            #"{"model":"gpt-4o-mini","temperature":0.7,"messages":[{"role":"user","content":"Hi"}],"store":true,"metadata":{"run":"7"}}"#
        #expect(try key(tagged) != key(stored))
    }

    /// The Anthropic SDK sends its key as `x-api-key: K` or `Authorization: Bearer K`: one
    /// credential, one tenant.
    @Test func bothSpellingsOfACredentialAreOneTenant() {
        let secret = [UInt8](repeating: 7, count: 32)
        let bare = TenantScope.scope(credential: "sk-ant-api03-abc", secret: secret)
        #expect(TenantScope.scope(credential: "Bearer sk-ant-api03-abc", secret: secret) == bare)
        #expect(TenantScope.scope(credential: "bearer  sk-ant-api03-abc ", secret: secret) == bare)
        #expect(TenantScope.scope(credential: "Bearer sk-ant-api03-abd", secret: secret) != bare)
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
