import LLMCacheShared
import Testing

/// `shared.postgres.url` read the way libpq reads it, and garbage refused with what is wrong —
/// never with the password in the message.
@Suite struct DatabaseURLTests {
    @Test func readsHostsSocketsPasswordsAndTLSModes() throws {
        let tcp = try DatabaseURL("postgres://cache:p%40ss%3Aword@db.internal:6543/llm")
        #expect(tcp.endpoint == .tcp(host: "db.internal", port: 6543))
        #expect(tcp.user == "cache" && tcp.password == "p@ss:word" && tcp.database == "llm")
        #expect(tcp.tls == .prefer, "libpq's default: encrypt when the server offers it")
        #expect(tcp.description == "postgres://cache:***@db.internal:6543/llm")
        let socket = try DatabaseURL("postgresql://cache@/llm?host=/run/postgresql&port=5433")
        #expect(socket.endpoint == .socket(directory: "/run/postgresql", port: 5433) && socket.password == nil)
        #expect(try DatabaseURL("postgres://u@h/d").endpoint == .tcp(host: "h", port: 5432))
        for (mode, tls) in [
            ("disable", DatabaseURL.TLS.disable), ("allow", .disable), ("prefer", .prefer), ("require", .require),
            ("verify-ca", .require), ("verify-full", .require),
        ] {
            #expect(try DatabaseURL("postgres://u@h/d?sslmode=\(mode)").tls == tls, "\(mode)")
        }
    }

    @Test(arguments: [
        "", "mysql://u@h/d", "postgres://", "postgres://h/d", "postgres://@h/d", "postgres://u@h",
        "postgres://u@h/", "postgres://u@:5432/d", "postgres://u@h:port/d", "postgres://u@h:99999/d",
        "postgres://u:secret-pw@h/d?sslmode=sometimes",
    ])
    func garbageIsRefusedWithoutThePassword(_ text: String) {
        #expect {
            _ = try DatabaseURL(text)
        } throws: { error in
            let description = "\(error)"
            return description.contains("shared.postgres.url") && !description.contains("secret-pw")
        }
    }
}
