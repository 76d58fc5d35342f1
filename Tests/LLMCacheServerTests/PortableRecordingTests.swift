import LLMCacheCore
import LLMCacheServer
import LLMCacheStore
import LLMCacheTestSupport
import LLMCacheToolkit
import Testing

/// Recordings travel: answers recorded through one proxy with a credential, exported, imported
/// into a fresh store (another machine's), are served there in replay mode to the same
/// credential byte for byte, and replay-check on the imported store names a changed field. A
/// store written before portable scopes (its own random secret) keeps serving its entries.
@Suite struct PortableRecordingTests {
    let scratch = ScratchDirectory()
    static let credential = "Bearer sk-live-recording-key"
    static let bodies = (0..<20).map { chat("portable \($0)", stream: $0 % 4 == 0) }

    /// Records the bodies through a proxy on `store` (created with `tenantScope`) and exports
    /// them to `file`; the answers as recorded.
    func record(store: String, tenantScope: TenantScopeKind, exportTo file: String) async throws -> [[UInt8]] {
        var answers: [[UInt8]] = []
        try await ProxyHarness.run(store: store, configure: { $0.tenantScope = tenantScope }) { harness in
            for body in Self.bodies {
                let reply = try await harness.post(
                    "/v1/chat/completions", body, headers: [("authorization", Self.credential)])
                #expect(reply.status == 200 && reply.header("x-llmcache-status") == "MISS")
                answers.append(reply.body)
            }
            let disk = harness.server.store!
            try await disk.flush()
            let exported = try await StoreExport.run(
                store: .disk(disk), to: file, filter: EntryFilter(), now: SystemClock().now())
            #expect(exported.exported == 20)
        }
        return answers
    }

    /// Imports `file` into a fresh store at `store`; the import's summary.
    func importFresh(_ file: String, into store: String) async throws -> StoreImport.Summary {
        try await StoreImport.run(
            file, into: .disk(try StoreAccess.openOrCreate(store)), options: .init(), now: SystemClock().now())
    }

    @Test func aRecordingImportedOnAnotherMachineIsServedToTheSameCredential() async throws {
        let file = scratch.path + "/recording.llmc"
        let recorded = try await record(store: scratch.path + "/laptop", tenantScope: .portable, exportTo: file)
        let summary = try await importFresh(file, into: scratch.path + "/ci")
        #expect(summary.imported == 20 && summary.foreignScoped == 0 && summary.bad.isEmpty)

        try await ProxyHarness.run(store: scratch.path + "/ci", configure: { $0.mode = .replay }) { harness in
            for (body, answer) in zip(Self.bodies, recorded) {
                let reply = try await harness.post(
                    "/v1/chat/completions", body, headers: [("authorization", Self.credential)])
                #expect(reply.status == 200 && reply.header("x-llmcache-status") == "HIT")
                #expect(reply.body == answer, "byte-identical, streams included")
            }
            // Another credential reads none of it, there as here.
            let other = try await harness.post(
                "/v1/chat/completions", Self.bodies[1], headers: [("authorization", "Bearer sk-someone-else")])
            #expect(other.status == 504)
            #expect(harness.stats.requestCount == 0, "replay never reaches the upstream")

            // replay-check on the imported store: the recorded requests hit, a changed
            // temperature is named.
            let requests = scratch.path + "/requests.jsonl"
            let line = { (body: String) in
                #"{"method":"POST","path":"/v1/chat/completions","headers":{"authorization":"\#(Self.credential)"},"body":\#(body)}"#
            }
            let changed = chat("portable 1", extra: #","temperature":0.9"#)
            #expect(FileHelper.write(requests, [line(Self.bodies[1]), line(changed)].joined(separator: "\n") + "\n"))
            let report = try await ReplayCheck.run(
                requestsFile: requests,
                target: .store(
                    harness.server.store!, routes: try StoreAccess.routes(extra: []), shareAcrossCredentials: false))
            #expect(report.results.map(\.hit) == [true, false])
            #expect(report.results[1].reason?.contains("$.temperature") == true, "\(report.results[1].reason ?? "")")
        }
    }

    /// A store with its own secret — as every store was before portable scopes — keeps serving
    /// what it holds after the upgrade, and its exports are foreign to other stores (import with
    /// a tenant option, as before).
    @Test func aStoreWithItsOwnSecretKeepsServingItsEntries() async throws {
        let file = scratch.path + "/private.llmc"
        let store = scratch.path + "/private"
        let recorded = try await record(store: store, tenantScope: .storeOwn, exportTo: file)
        // Reopened by a proxy configured as today's default (portable): the store keeps its secret.
        try await ProxyHarness.run(store: store, configure: { $0.mode = .replay }) { harness in
            let reply = try await harness.post(
                "/v1/chat/completions", Self.bodies[3], headers: [("authorization", Self.credential)])
            #expect(reply.status == 200 && reply.body == recorded[3])
            #expect(try harness.server.store!.tenantSecret() != TenantScope.portableSecret)
        }
        let summary = try await importFresh(file, into: scratch.path + "/elsewhere")
        #expect(summary.imported == 20 && summary.foreignScoped == 20)
    }
}
