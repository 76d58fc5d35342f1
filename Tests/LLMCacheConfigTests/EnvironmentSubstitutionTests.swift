import LLMCacheConfig
import Testing

@Suite struct EnvironmentSubstitutionTests {
    let environment = ["HOST": "example.org", "EMPTY": "", "PORT": "9000", "_X1": "x"]

    func substitute(_ text: String) throws -> String {
        try EnvironmentSubstitution.substitute(text, environment: environment)
    }

    @Test(arguments: [
        ("plain text", "plain text"),
        ("${HOST}", "example.org"),
        ("http://${HOST}:${PORT}/v1", "http://example.org:9000/v1"),
        ("${_X1}", "x"),
        ("${EMPTY}", ""),  // set but empty is set
        ("${EMPTY:fallback}", ""),
        ("${MISSING:fallback}", "fallback"),
        ("${MISSING:}", ""),  // empty default
        ("${MISSING:http://a:b@c:8080/x}", "http://a:b@c:8080/x"),  // ':' inside the default
        ("${MISSING::}", ":"),
        ("$${HOST}", "${HOST}"),  // escape
        ("$$${HOST}", "$${HOST}"),  // left to right: a lone $, then the escape
        ("a$b $ c$", "a$b $ c$"),  // a $ not followed by { is itself
        ("$${", "${"),
        ("${HOST}${PORT}", "example.org9000"),
        ("ünïcödé ${HOST} ✓", "ünïcödé example.org ✓"),
    ])
    func substitutes(_ input: String, _ expected: String) throws {
        #expect(try substitute(input) == expected)
    }

    @Test func missingVariableIsAnError() {
        #expect(throws: EnvironmentSubstitution.Failure.unset("NOPE")) { try substitute("key-${NOPE}") }
    }

    @Test(arguments: ["${}", "${1ABC}", "${A-B}", "${ A}", "${A B:x}"])
    func badNamesAreErrors(_ input: String) {
        #expect(throws: EnvironmentSubstitution.Failure.self) { try substitute(input) }
    }

    @Test func unterminatedIsAnError() {
        #expect(throws: EnvironmentSubstitution.Failure.unterminated) { try substitute("${HOST") }
        #expect(throws: EnvironmentSubstitution.Failure.unterminated) { try substitute("x ${MISSING:abc") }
    }

    @Test func missingVariableNamesTheKeyPath() throws {
        let loader = ConfigLoader(path: nil, environment: [:])
        let yaml = """
            upstreams:
              openai:
                url: https://api.openai.com
                api_key: ${OPENAI_API_KEY}
            """
        let error = try #require(throws: ConfigError.self) { try loader.load(text: yaml, source: "test.yaml") }
        #expect(error.issues.count == 1)
        #expect(error.issues[0].path == "upstreams.openai.api_key")
        #expect(error.issues[0].origin == ConfigOrigin(source: "test.yaml", line: 4))
        #expect(error.description.contains("OPENAI_API_KEY"))
    }

    @Test func substitutedValuesAreTyped() throws {
        let loader = ConfigLoader(path: nil, environment: ["PORT": "9000", "LIMIT": "512MiB"])
        let settings = try loader.load(
            text: "listen:\n  port: ${PORT}\nmemory:\n  limit: ${LIMIT}\ncache:\n  ttl: ${TTL:90s}\n", source: "t")
        #expect(settings.listen.port == 9000)
        #expect(settings.memory.limit == 512 << 20)
        #expect(settings.cache.ttl == .seconds(90))
        let bad = try #require(throws: ConfigError.self) {
            try ConfigLoader(path: nil, environment: ["PORT": "eighty"]).load(
                text: "listen:\n  port: ${PORT}\n", source: "t")
        }
        #expect(bad.issues.map(\.path) == ["listen.port"])
    }

    @Test func keysAreNotSubstituted() throws {
        let settings = try ConfigLoader(path: nil, environment: ["M": "x"]).load(
            text: "prices:\n  ${M}:\n    input: 1\n    output: 2\n", source: "t")
        #expect(settings.prices.map(\.model) == ["${M}"])
    }
}
