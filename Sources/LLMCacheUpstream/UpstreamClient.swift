import AsyncHTTPClient
import LLMCacheCore
import Logging
import NIOCore
import NIOHTTP1

/// The pooled HTTP client misses go through (AsyncHTTPClient: keep-alive connections per host,
/// HTTP/2 where the upstream offers it, connect and total timeouts).
public final class UpstreamClient: Sendable {
    public struct Configuration: Sendable {
        public var connectTimeout: Duration
        /// Time allowed from sending the request until the response head arrives.
        public var headTimeout: Duration
        /// Time allowed between two chunks of an answer's body (``UpstreamWatch``). A stream cut
        /// by it ends, for the client, with an SSE `error` event.
        public var streamIdleTimeout: Duration
        /// Time allowed for the whole exchange, body included.
        public var totalTimeout: Duration
        public var maximumConnectionsPerHost: Int
        public var idleTimeout: Duration
        public var retry: RetryPolicy

        public init(
            connectTimeout: Duration = .seconds(10), headTimeout: Duration = .seconds(120),
            streamIdleTimeout: Duration = .seconds(120), totalTimeout: Duration = .seconds(600),
            maximumConnectionsPerHost: Int = 64, idleTimeout: Duration = .seconds(60),
            retry: RetryPolicy = RetryPolicy()
        ) {
            self.connectTimeout = connectTimeout
            self.headTimeout = headTimeout
            self.streamIdleTimeout = streamIdleTimeout
            self.totalTimeout = totalTimeout
            self.maximumConnectionsPerHost = maximumConnectionsPerHost
            self.idleTimeout = idleTimeout
            self.retry = retry
        }
    }

    /// What an upstream answered: status, headers, and the body as it arrives.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [HeaderField]
        public var body: UpstreamBody

        public init(status: Int, headers: [HeaderField], body: UpstreamBody) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    /// Why an upstream call failed before a response head arrived.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case unreachable(String)
        case timeout(String)

        public var description: String {
            switch self {
            case .unreachable(let detail): "upstream unreachable: \(detail)"
            case .timeout(let detail): "upstream timed out: \(detail)"
            }
        }
        /// `unreachable` or `timeout`: the label of error metrics and plugin events.
        public var kind: String {
            switch self {
            case .unreachable: "unreachable"
            case .timeout: "timeout"
            }
        }
    }

    public let configuration: Configuration
    let client: HTTPClient

    public init(configuration: Configuration = Configuration()) {
        var clientConfiguration = HTTPClient.Configuration()
        // No read timer: the head has its deadline (``send``), the body its ``UpstreamWatch``.
        clientConfiguration.timeout = .init(connect: TimeAmount(configuration.connectTimeout), read: nil)
        clientConfiguration.connectionPool = .init(
            idleTimeout: TimeAmount(configuration.idleTimeout),
            concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maximumConnectionsPerHost)
        clientConfiguration.decompression = .disabled
        clientConfiguration.redirectConfiguration = .disallow
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        self.configuration = configuration
    }

    /// Sends a request to `upstream`; returns once the response head has arrived (within the
    /// head timeout). Read the body within ``watch(_:from:_:)``.
    public func send(
        to upstream: Upstream, method: String, pathAndQuery: String, headers: [HeaderField], body: ByteBuffer?,
        logger: Logger
    ) async throws -> Response {
        var request = HTTPClientRequest(url: upstream.baseURL + pathAndQuery)
        request.method = HTTPMethod(rawValue: method)
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        if let body { request.body = .bytes(body) }
        // AsyncHTTPClient's deadline ends with the head.
        let timeout = TimeAmount(min(configuration.headTimeout, configuration.totalTimeout))
        do {
            let response = try await client.execute(request, timeout: timeout, logger: logger)
            return Response(
                status: Int(response.status.code),
                headers: response.headers.map { HeaderField(name: $0.name, value: $0.value) },
                body: UpstreamBody(response.body))
        } catch let error as HTTPClientError {
            switch error {
            case .deadlineExceeded:
                let limit =
                    configuration.headTimeout <= configuration.totalTimeout
                    ? "\(configuration.headTimeout) (head_timeout)" : "\(configuration.totalTimeout) (total_timeout)"
                throw Failure.timeout("no response head within \(limit)")
            case .readTimeout, .connectTimeout, .getConnectionFromPoolTimeout:
                throw Failure.timeout("\(error)")
            default:
                throw Failure.unreachable("\(error)")
            }
        } catch let error as Failure {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw Failure.unreachable("\(error)")
        }
    }

    /// Like ``send(to:method:pathAndQuery:headers:body:logger:)``, but retries connect errors,
    /// 429 and 5xx per `configuration.retry` — returning the first answer worth relaying, or the
    /// last one. Safe because it returns before anything reaches the client.
    public func sendRetrying(
        to upstream: Upstream, method: String, pathAndQuery: String, headers: [HeaderField], body: ByteBuffer?,
        logger: Logger
    ) async throws -> (response: Response, attempts: Int) {
        var attempt = 1
        var random = SystemRandomNumberGenerator()
        while true {
            do {
                let response = try await send(
                    to: upstream, method: method, pathAndQuery: pathAndQuery, headers: headers, body: body,
                    logger: logger)
                guard RetryPolicy.isRetryable(status: response.status) else { return (response, attempt) }
                let retryAfter = response.headers.first { $0.name.lowercased() == "retry-after" }?.value
                guard
                    let delay = configuration.retry.delay(
                        afterAttempt: attempt, retryAfter: retryAfter, random: Double.random(in: 0..<1, using: &random))
                else { return (response, attempt) }
                // Drain, so the connection can be reused.
                try await watch(response.body, from: .now) { body, progress in
                    for try await _ in body { progress.touch() }
                }
                logger.debug("retrying upstream", metadata: ["status": "\(response.status)", "attempt": "\(attempt)"])
                try await Task.sleep(for: delay)
            } catch let failure as Failure {
                guard case .unreachable = failure,
                    let delay = configuration.retry.delay(
                        afterAttempt: attempt, retryAfter: nil, random: Double.random(in: 0..<1, using: &random))
                else { throw failure }
                try await Task.sleep(for: delay)
            }
            attempt += 1
        }
    }

    /// Reads `body` with `read` under this client's stream-idle and total timeouts (`started`:
    /// when the exchange began); throws ``UpstreamWatch/Timeout`` when one passes.
    public func watch<T: Sendable>(
        _ body: UpstreamBody, from started: ContinuousClock.Instant,
        _ read: @escaping @Sendable (UpstreamBody, UpstreamWatch.Progress) async throws -> T
    ) async throws -> T {
        try await UpstreamWatch.run(
            idle: configuration.streamIdleTimeout, deadline: started + configuration.totalTimeout,
            totalLimit: configuration.totalTimeout
        ) { progress in try await read(body, progress) }
    }

    /// Closes pooled connections.
    public func shutdown() async throws {
        try await client.shutdown()
    }
}
