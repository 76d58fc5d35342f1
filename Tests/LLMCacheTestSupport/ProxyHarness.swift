import AsyncHTTPClient
import LLMCacheAdmin
import LLMCacheApp
import CoreMetrics
import Hummingbird
import LLMCacheConfig
import LLMCacheCore
import LLMCacheMockUpstream
import LLMCachePlugins
import LLMCacheServer
import LLMCacheUpstream
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// A real mock upstream and a real proxy on 127.0.0.1 with ephemeral ports, plus an HTTP client.
package struct ProxyHarness {
    package let proxyPort: Int
    package let mockPort: Int
    /// The admin API's port, when one was asked for.
    package let adminPort: Int?
    package let stats: MockUpstreamStats
    /// The Anthropic upstream's mock, when the harness runs one of its own (`separateAnthropic`);
    /// else ``stats`` serves both providers.
    package let anthropicStats: MockUpstreamStats?
    package let server: ProxyServer
    /// The configuration reloader, when the harness was given a file to reload.
    package let reloader: ConfigReloader?
    package let client: HTTPClient

    package struct Reply {
        package var status: Int
        package var headers: HTTPHeaders
        package var body: [UInt8]
        package var text: String { String(decoding: body, as: UTF8.self) }
        package func header(_ name: String) -> String? { headers.first(name: name) }
    }

    package func post(
        _ path: String, _ body: String, headers: [(String, String)] = [], contentType: String? = "application/json"
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(proxyPort)\(path)")
        request.method = .POST
        if let contentType { request.headers.add(name: "content-type", value: contentType) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request)
    }

    package func get(_ path: String) async throws -> Reply {
        try await send(HTTPClientRequest(url: "http://127.0.0.1:\(proxyPort)\(path)"))
    }

    package func send(_ request: HTTPClientRequest) async throws -> Reply {
        let response = try await client.execute(request, timeout: .seconds(30))
        var body: [UInt8] = []
        for try await chunk in response.body { body += chunk.readableBytesView }
        return Reply(status: Int(response.status.code), headers: response.headers, body: body)
    }

    package static let quietLogger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    /// Runs `body` against a fresh mock upstream and proxy; `store` nil means memory only.
    package static func run(
        store: String?,
        clock: any WallClock = SystemClock(),
        upstreamPort: Int? = nil,
        configure: (inout ProxyConfiguration) -> Void = { _ in },
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance,
        metricsExposition: (@Sendable () -> [UInt8])? = nil,
        memorySampler: any MemorySampler = ProcessMemorySampler(),
        admin: AdminConfiguration? = nil,
        plugins: PluginChain = .empty,
        reloading: ((_ mockPort: Int) throws -> ProxyAssembly.Reloading)? = nil,
        separateAnthropic: Bool = false,
        _ body: (ProxyHarness) async throws -> Void
    ) async throws {
        let stats = MockUpstreamStats()
        let anthropicStats = separateAnthropic ? MockUpstreamStats() : nil
        let (mockPorts, mockContinuation) = AsyncStream.makeStream(of: Int.self)
        var mocks: [any Service] = [
            MockUpstream.application(host: "127.0.0.1", port: 0, stats: stats, logger: quietLogger) {
                mockContinuation.yield($0)
            }
        ]
        let (anthropicPorts, anthropicContinuation) = AsyncStream.makeStream(of: Int.self)
        if let anthropicStats {
            mocks.append(
                MockUpstream.application(host: "127.0.0.1", port: 0, stats: anthropicStats, logger: quietLogger) {
                    anthropicContinuation.yield($0)
                })
        }
        let mockGroup = ServiceGroup(services: mocks, gracefulShutdownSignals: [], logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await mockGroup.run() }
            var mockPort = 0
            for await port in mockPorts {
                mockPort = port
                break
            }
            var anthropicPort = mockPort
            if anthropicStats != nil {
                for await port in anthropicPorts {
                    anthropicPort = port
                    break
                }
            }
            let base = "http://127.0.0.1:\(upstreamPort ?? mockPort)"
            let anthropicBase = upstreamPort == nil ? "http://127.0.0.1:\(anthropicPort)" : base
            var configuration = ProxyConfiguration(
                host: "127.0.0.1", port: 0, storeDirectory: store,
                routes: .standard(
                    openAI: Upstream(id: "openai", baseURL: base, provider: .openAI),
                    anthropic: Upstream(id: "anthropic", baseURL: anthropicBase, provider: .anthropic)),
                memory: .init(maxBytes: 8 << 20))
            configure(&configuration)
            // The composition `llmcache serve` runs (server, plugins, admin API, drain watcher).
            let assembly = try await ProxyAssembly(
                configuration: configuration, plugins: plugins, admin: admin, reloading: try reloading?(mockPort),
                clock: clock, logger: quietLogger, metricsFactory: metricsFactory, metricsExposition: metricsExposition,
                memorySampler: memorySampler)
            let server = assembly.server
            do { try await assembly.start() } catch {
                await mockGroup.triggerGracefulShutdown()
                throw error
            }
            let (proxyPorts, proxyContinuation) = AsyncStream.makeStream(of: Int.self)
            let (adminPorts, adminContinuation) = AsyncStream.makeStream(of: Int.self)
            let services = assembly.services(
                onProxyListening: { proxyContinuation.yield($0) }, onAdminListening: { adminContinuation.yield($0) })
            let proxyGroup = assembly.serviceGroup(services, signals: [])
            group.addTask { try await proxyGroup.run() }
            var proxyPort = 0
            for await port in proxyPorts {
                proxyPort = port
                break
            }
            var adminPort: Int?
            if admin != nil {
                for await port in adminPorts {
                    adminPort = port
                    break
                }
            }
            var clientConfiguration = HTTPClient.Configuration()
            clientConfiguration.connectionPool = .init(
                idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 128)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
            let harness = ProxyHarness(
                proxyPort: proxyPort, mockPort: mockPort, adminPort: adminPort, stats: stats,
                anthropicStats: anthropicStats, server: server,
                reloader: assembly.reloader, client: client)
            var failure: (any Error)?
            do { try await body(harness) } catch { failure = error }
            try await client.shutdown()
            await proxyGroup.triggerGracefulShutdown()
            await mockGroup.triggerGracefulShutdown()
            try await group.waitForAll()
            if let failure { throw failure }
        }
    }
}

/// A scratch directory, removed when released.
package final class ScratchDirectory: Sendable {
    package let path: String

    package init() {
        var template = Array("/tmp/llmcache-proxy-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil)
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit { _ = system("rm -rf '\(path)'") }
}

package func chat(_ content: String, stream: Bool = false, extra: String = "") -> String {
    #"{"model":"gpt-4o-mini","stream":\#(stream),"messages":[{"role":"user","content":"\#(content)"}]\#(extra)}"#
}
