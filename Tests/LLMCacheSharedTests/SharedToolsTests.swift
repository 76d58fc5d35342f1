import LLMCacheCore
import LLMCacheShared
import LLMCacheStore
import LLMCacheTestSupport
import LLMCacheToolkit
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The offline tools over the shared tier: export, import, verify, replay-check, inspect, purge
/// and stats read and write the table as they do a store directory, and a miss in an offline mode
/// is explained from the shared table.
extension PostgresSuites {
    @Suite struct SharedToolsTests {
        static let credential = "Bearer sk-tools"
        static let prompts = ["first", "second", "third"]

        static func configuration(_ cluster: PostgresCluster, prefix: String = "llmcache_") -> SharedTierConfiguration {
            SharedTierConfiguration(
                url: cluster.url, poolSize: 2, tablePrefix: prefix, lookupTimeout: .seconds(5),
                connectTimeout: .seconds(5))
        }

        /// Three answers stored through a proxy on `cluster`, then `body` with a tool's connection.
        static func withStoredAnswers(
            _ cluster: PostgresCluster, _ body: (SharedTier, [CacheKey]) async throws -> Void
        ) async throws {
            var keys: [CacheKey] = []
            try await SharedProxyTests.withInstances(1, on: cluster) { instances in
                for prompt in prompts {
                    let reply = try await instances[0].post(
                        "/v1/chat/completions", chat("tools \(prompt)"), headers: [("authorization", credential)])
                    #expect(reply.status == 200)
                    keys.append(try #require(reply.header("x-llmcache-key").flatMap { CacheKey(hex: $0) }))
                }
                // Each fetch's answer is in the table once its lease is released.
                await instances[0].server.fetchesFinished()
            }
            let tier = try await SharedTier.connect(configuration(cluster), creating: false, logger: quiet)
            do { try await body(tier, keys) } catch {
                await tier.close()
                throw error
            }
            await tier.close()
        }

        static let quiet: Logger = {
            var logger = Logger(label: "test.shared-tools")
            logger.logLevel = .critical
            return logger
        }()

        static func requestLine(_ prompt: String, extra: String = "") -> String {
            #"{"method":"POST","path":"/v1/chat/completions","headers":{"authorization":"\#(credential)"},"body":\#(chat("tools \(prompt)", extra: extra))}"#
        }

        @Test func exportImportVerifyAndReplayCheckWorkOnTheSharedTier() async throws {
            try await PostgresCluster.with { cluster in
                try await Self.withStoredAnswers(cluster) { tier, keys in
                    let scratch = ScratchDirectory()
                    let now = SystemClock().now()
                    let file = scratch.path + "/shared.llmc"
                    let exported = try await StoreExport.run(
                        store: .shared(tier), to: file, filter: EntryFilter(), now: now)
                    #expect(exported.exported == 3 && exported.unreadable.isEmpty)
                    #expect(try Verify.exportFile(file).isClean)
                    let checked = try await Verify.shared(tier)
                    #expect(checked.checked == 3 && checked.isClean)

                    // Into a fresh store directory, scoped to the same credential: served there.
                    let disk = try StoreAccess.openOrCreate(scratch.path + "/store")
                    let intoDisk = try await StoreImport.run(
                        file, into: .disk(disk), options: .init(tenant: .credential(Self.credential)), now: now)
                    #expect(intoDisk.imported == 3 && intoDisk.bad.isEmpty)
                    // Into another shared tier (tables created by the import): portable like the
                    // first, so the entries are readable there by the same credential.
                    let other = try await SharedTier.connect(
                        Self.configuration(cluster, prefix: "other_"), creating: true, logger: Self.quiet)
                    let intoShared = try await StoreImport.run(file, into: .shared(other), options: .init(), now: now)
                    let otherSummary = try await other.summary()
                    let found = try await other.entry(keys[0])
                    await other.close()
                    #expect(intoShared.imported == 3 && intoShared.foreignScoped == 0)
                    #expect(found != nil)
                    #expect(otherSummary.entries == 3 && otherSummary.recordBytes > 0)

                    // replay-check against the shared table: three hits, one miss named by its field.
                    let requests = scratch.path + "/requests.jsonl"
                    let lines =
                        Self.prompts.map { Self.requestLine($0) } + [
                            Self.requestLine("second", extra: #","temperature":0.5"#)
                        ]
                    try writeTextFile(requests, lines.joined(separator: "\n") + "\n")
                    let report = try await ReplayCheck.run(
                        requestsFile: requests,
                        target: .entries(
                            .shared(tier), routes: try StoreAccess.routes(extra: []), shareAcrossCredentials: false))
                    #expect(report.requests == 4 && report.hits == 3 && report.invalid == 0)
                    let miss = try #require(report.results.first { !$0.hit })
                    #expect(miss.reason?.contains("$.temperature") == true, "\(miss.reason ?? "")")
                    #expect(miss.reason?.contains(keys[1].hex) == true, "the nearest is the stored 'second'")

                    // What the table holds, then a purge of one key.
                    let summary = try await tier.summary()
                    #expect(summary.entries == 3 && summary.expired == 0 && summary.tableBytes > summary.recordBytes)
                    #expect(summary.namespaces.map(\.name) == [""] && summary.namespaces.map(\.entries) == [3])
                    #expect(try await EntryStore.shared(tier).remove([keys[0]]) == 1)
                    #expect(try await tier.entry(keys[0]) == nil)
                    #expect(try await tier.entry(keys[1]) != nil)
                }
            }
        }

        /// `llmcache stats|inspect|export|purge --shared-postgres` as a user runs them.
        @Test func theCommandLineToolsTakeTheSharedTier() async throws {
            try await PostgresCluster.with { cluster in
                try await Self.withStoredAnswers(cluster) { _, keys in
                    let scratch = ScratchDirectory()
                    let shared = ["--shared-postgres", cluster.url]
                    let stats = try await Self.run(["stats"] + shared)
                    #expect(stats.status == 0 && stats.output.contains("shared  3"), "\(stats.output)")
                    let inspect = try await Self.run(["inspect", keys[2].hex] + shared)
                    #expect(inspect.status == 0 && inspect.output.contains("tools third"), "\(inspect.output)")
                    let export = try await Self.run(["export", "--out", scratch.path + "/out.llmc"] + shared)
                    #expect(export.status == 0 && export.output.contains("exported 3 entries"), "\(export.output)")
                    let purge = try await Self.run(["purge", "--all"] + shared)
                    #expect(purge.status == 0 && purge.output.contains("purged 3 entries"), "\(purge.output)")
                    let missing = try await Self.run(["inspect", keys[2].hex] + shared)
                    #expect(missing.status == 1 && missing.output.contains("nothing stored"), "\(missing.output)")
                    // Read-only tools never create tables; a wrong prefix is named.
                    let wrongPrefix = try await Self.run(["stats", "--table-prefix", "nothing_here_"] + shared)
                    #expect(wrongPrefix.status == 1, "\(wrongPrefix.output)")
                    #expect(wrongPrefix.output.contains("no llmcache shared tier with table prefix 'nothing_here_'"))
                    let unreachable = try await Self.run(
                        ["stats", "--shared-postgres", "postgres://nobody@/postgres?host=\(scratch.path)&port=1"])
                    #expect(unreachable.status == 1 && unreachable.output.contains("cannot open the shared tier"))
                }
            }
        }

        /// Runs `llmcache ARGUMENTS`: its exit status (-1 when a signal ended it) and output.
        static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
            let process = try ChildProcess(arguments: [try llmcacheExecutable()] + arguments)
            let (output, status) = try await onOwnThread { (process.readAll(), process.wait()) }
            // The exit status of a process that exited (waitpid's status holds it in bits 8-15).
            return ((status & 0x7f) == 0 ? (status >> 8) & 0xff : -1, output)
        }

        /// A purge through the tools reaches a running instance's memory tier.
        @Test func aPurgeThroughTheToolsReachesRunningInstances() async throws {
            try await SharedProxyTests.withInstances(1) { instances in
                let instance = instances[0]
                let team = [("x-llmcache-namespace", "team-a")]
                let first = try await instance.post("/v1/chat/completions", chat("purged by a tool"), headers: team)
                await instance.server.fetchesFinished()
                let key = try #require(first.header("x-llmcache-key").flatMap { CacheKey(hex: $0) })
                #expect(await instance.server.cache.memory.holds(key))
                let cluster = try #require(instance.server.shared).configuration
                let tool = try await SharedTier.connect(cluster, creating: false, logger: Self.quiet)
                let removed = try await EntryStore.shared(tool).removeAll(namespace: "team-a")
                await tool.close()
                #expect(removed == 1)
                await instance.server.shared!.purgesApplied.reached(atLeast: 1)
                #expect(!(await instance.server.cache.memory.holds(key)))
                let again = try await instance.post("/v1/chat/completions", chat("purged by a tool"), headers: team)
                #expect(again.header("x-llmcache-status") == "MISS")
            }
        }

        /// An instance with no disk tier and an empty memory tier explains an offline miss from the
        /// shared table: the nearest stored request and the field that changed.
        @Test func anOfflineMissIsExplainedFromTheSharedTable() async throws {
            try await SharedProxyTests.withInstances(2) { instances in
                _ = try await instances[0].post("/v1/chat/completions", chat("explained from the table"))
                await instances[0].server.fetchesFinished()
                let miss = try await instances[1].post(
                    "/v1/chat/completions", chat("explained from the table", extra: #","temperature":1.5"#),
                    headers: [("x-llmcache-mode", "replay")])
                #expect(miss.status == 504)
                #expect(miss.text.contains("$.temperature") && miss.text.contains("nearest"), "\(miss.text)")
            }
        }

        @Test func aReadOnlyToolCreatesNoTables() async throws {
            try await PostgresCluster.with { cluster in
                for _ in 0..<2 {
                    await #expect(throws: SharedSchema.Failure.missing(prefix: "llmcache_")) {
                        _ = try await SharedTier.connect(
                            Self.configuration(cluster), creating: false, logger: Self.quiet)
                    }
                }
            }
        }
    }
}
