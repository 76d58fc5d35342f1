import Benchmark
import Hummingbird
import LLMCacheCore
import LLMCacheMockUpstream
import LLMCacheServer
import LLMCacheUpstream
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The whole hit path of a running proxy, per request: a memory-only `ProxyServer` and the mock
/// upstream on 127.0.0.1 in this process, one chat request stored by a first miss, then answered
/// from L1 over one keep-alive connection. The client is a plain blocking socket with fixed
/// buffers — it allocates nothing — so `mallocCountTotal` is what the server allocates per hit:
/// the HTTP decoder and encoder, the lean path (key, lookup, headers) and NIO's buffers. The
/// threshold below lets CI gate on it (`swift package benchmark --target HitPathBenchmarks
/// thresholds check`).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        maxDuration: .seconds(3),
        maxIterations: 20_000
    )
    let fixture = Fixture()
    for (name, body) in [
        ("chat", #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello there"}]}"#),
        ("stream", #"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hello there"}]}"#),
    ] {
        Benchmark(
            "ProxyServer:memory-hit-\(name)",
            configuration: .init(thresholds: [.mallocCountTotal: .init(relative: [.p90: 10])]),
            closure: { benchmark in
                let client = fixture.client!
                let request = Array(
                    ("POST /v1/chat/completions HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n"
                        + "authorization: Bearer sk-bench\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)").utf8)
                client.exchange(request)  // a miss stores it; every measured one is an L1 hit
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations { client.exchange(request) }
                benchmark.stopMeasurement()
            },
            setup: fixture.start, teardown: fixture.stop)
    }
}

/// The mock upstream, the proxy and a connection to it, started before the benchmarks run.
final class Fixture: @unchecked Sendable {
    private var group: ServiceGroup?
    private var running: Task<Void, any Error>?
    var client: BlockingClient?

    func start() async throws {
        guard client == nil else { return }
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let (mockPorts, mockPort) = AsyncStream.makeStream(of: Int.self)
        let mock = MockUpstream.application(host: "127.0.0.1", port: 0, logger: logger) { mockPort.yield($0) }
        let mockGroup = ServiceGroup(services: [mock], gracefulShutdownSignals: [], logger: logger)
        let mockTask = Task { try await mockGroup.run() }
        var upstream = 0
        for await port in mockPorts {
            upstream = port
            break
        }
        let base = "http://127.0.0.1:\(upstream)"
        let server = try await ProxyServer(
            configuration: ProxyConfiguration(
                host: "127.0.0.1", port: 0, storeDirectory: nil,
                routes: .standard(
                    openAI: Upstream(id: "openai", baseURL: base, provider: .openAI),
                    anthropic: Upstream(id: "anthropic", baseURL: base, provider: .anthropic)),
                memory: .init(maxBytes: 64 << 20)),
            logger: logger)
        let (proxyPorts, proxyPort) = AsyncStream.makeStream(of: Int.self)
        let app = server.application { proxyPort.yield($0) }
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        self.group = group
        running = Task {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                tasks.addTask { try await mockTask.value }
                try await tasks.waitForAll()
            }
        }
        for await port in proxyPorts {
            client = BlockingClient(port: port)
            break
        }
        _ = mockGroup  // stopped with the process
    }

    func stop() async throws {}
}

/// One keep-alive HTTP/1.1 connection read and written with fixed buffers (no allocation per
/// exchange).
final class BlockingClient: @unchecked Sendable {
    private let descriptor: Int32
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)

    init(port: Int) {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        precondition(connected, "cannot connect to the proxy")
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Sends `request` and reads one whole answer (with a length, or chunked to its last chunk).
    func exchange(_ request: [UInt8]) {
        request.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let count = send(descriptor, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                precondition(count > 0, "the proxy closed the connection")
                sent += count
            }
        }
        var have = 0
        while true {
            let count = recv(descriptor, buffer.baseAddress! + have, buffer.count - have, 0)
            precondition(count > 0, "the proxy closed the connection")
            have += count
            if Self.isComplete(UnsafeRawBufferPointer(rebasing: buffer[0..<have])) { return }
        }
    }

    private static let headEndMarker: [UInt8] = [13, 10, 13, 10]
    private static let lastChunk: [UInt8] = [48, 13, 10, 13, 10]
    private static let contentLengthLine: [UInt8] = Array("\r\ncontent-length:".utf8)

    /// Whether `bytes` hold a whole answer: the head, then `content-length` bytes or a chunked
    /// body's terminating `0\r\n\r\n`.
    private static func isComplete(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let headEnd = find(bytes, headEndMarker, from: 0) else { return false }
        let bodyStart = headEnd + 4
        if let length = contentLength(UnsafeRawBufferPointer(rebasing: bytes[0..<headEnd])) {
            return bytes.count - bodyStart >= length
        }
        return bytes.count >= bodyStart + 5 && find(bytes, lastChunk, from: bytes.count - 5) != nil
    }

    private static func find(_ bytes: UnsafeRawBufferPointer, _ needle: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        for index in start...(bytes.count - needle.count) {
            var matched = true
            for offset in 0..<needle.count where bytes[index + offset] != needle[offset] {
                matched = false
                break
            }
            if matched { return index }
        }
        return nil
    }

    /// The value of a `content-length` line in `head` (names compared case-insensitively).
    private static func contentLength(_ head: UnsafeRawBufferPointer) -> Int? {
        let name = contentLengthLine
        var index = 0
        while index + name.count <= head.count {
            var matched = true
            for offset in 0..<name.count where head[index + offset] | 0x20 != name[offset] | 0x20 {
                matched = false
                break
            }
            if matched {
                var value = 0
                var position = index + name.count
                while position < head.count, head[position] == 32 { position += 1 }
                while position < head.count, head[position] >= 48, head[position] <= 57 {
                    value = value * 10 + Int(head[position] - 48)
                    position += 1
                }
                return value
            }
            index += 1
        }
        return nil
    }
}
