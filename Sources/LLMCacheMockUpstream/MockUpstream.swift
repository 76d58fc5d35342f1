import HTTPTypes
import Hummingbird
import HummingbirdCore
import LLMCacheCore
import Logging
import NIOCore

/// A deterministic OpenAI- and Anthropic-compatible server for demos, tests and load tests:
/// chat completions, completions, embeddings and messages, each streaming and not, answers
/// derived from the request. Request headers steer it:
///
/// | header | effect |
/// |---|---|
/// | `x-mock-latency-ms` | wait before answering |
/// | `x-mock-status` | answer with this status and an error body |
/// | `x-mock-chunk-delay-ms` | wait between stream chunks |
/// | `x-mock-padding` | add this many bytes of text to the answer (one phrase repeated: compresses to almost nothing) |
/// | `x-mock-prose` | add this many bytes of prose-like text (words drawn per request: compresses like English) |
/// | `x-mock-cut-after` | stop a stream after this many chunks, without its terminal event |
/// | `x-mock-fail-first` | answer 503 to the first N requests with this body (then normally) |
/// | `x-mock-retry-after` | with `x-mock-fail-first`: the `Retry-After` seconds to send |
/// | `x-mock-gzip: force` | gzip the answer even though the request did not accept it |
/// | `x-mock-invalid-json` | answer 200 with a body that is not JSON |
/// | `x-mock-gate: NAME` | hold the answer until the test opens gate NAME (``MockUpstreamStats/open(gate:)``) |
/// | `x-mock-gate-after` | with `x-mock-gate`: hold a stream after this many chunks instead (default: before the head) |
/// | `x-mock-pause-ms` | pause a stream this long once, before the chunk `x-mock-pause-at` (default 1) |
/// | `x-mock-cached-tokens` | report this many input tokens read from the provider's prompt cache (OpenAI `prompt_tokens_details.cached_tokens`, Anthropic `cache_read_input_tokens`) |
/// | `x-mock-cache-write-tokens` | report this many input tokens written to it (Anthropic `cache_creation_input_tokens`) |
/// | `x-mock-vary` | answer each call differently (the call's number in the text), like a model sampling at a temperature |
/// | `x-mock-bulk-bytes` | answer a body of about this many bytes (JSON, or SSE events with `stream`) in 64 KiB chunks, counted in ``MockUpstreamStats/bulkEnds`` |
///
/// Like the real providers, every answer carries per-call headers (`x-request-id` /
/// `request-id`, `openai-processing-ms`, rate-limit headers, a `set-cookie`) and is gzipped when
/// the request accepts gzip. Any other path and method answers a fresh object
/// (`{"id":"obj_N",…}`) — batches, files and the like create something on every call.
/// `GET /v1/models` answers in Anthropic's format when asked with `anthropic-version`.
///
/// `GET /__stats` answers `{"requests":N,"connections":M,"open_connections":K}`.
public enum MockUpstream {
    /// The Hummingbird application; run it with `runService()` or in a `ServiceGroup`.
    public static func application(
        host: String = "127.0.0.1", port: Int = 8081, stats: MockUpstreamStats = MockUpstreamStats(),
        logger: Logger = Logger(label: "llmcache.mock-upstream"),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: CatchAllMiddleware(stats: stats))
        router.get("/__stats") { _, _ in jsonResponse(.ok, stats.json) }
        router.get("/v1/models") { request, _ in
            let number = stats.note(request)
            let anthropic = request.headers[HTTPField.Name("anthropic-version")!] != nil
            return MockDecoration.decorate(
                jsonResponse(
                    .ok,
                    anthropic
                        ? #"{"data":[{"type":"model","id":"mock-claude","display_name":"Mock"}],"has_more":false}"#
                        : #"{"object":"list","data":[{"id":"mock-1","object":"model","owned_by":"llmcache"}]}"#),
                request: request, number: number)
        }
        for path in ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/messages", "/v1/responses"] {
            router.post(RouterPath(path)) { request, _ in
                let number = stats.note(request)
                let response = try await respond(to: request, path: path, stats: stats, number: number)
                return MockDecoration.decorate(response, request: request, number: number)
            }
        }
        var configuration = ApplicationConfiguration(address: .hostname(host, port: port), serverName: "llmcache-mock")
        configuration.availableConnectionsDelegate = ConnectionCounter(stats: stats)
        return Application(
            router: router,
            configuration: configuration,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    static func respond(
        to request: Request, path: String, stats: MockUpstreamStats, number: Int = 0
    ) async throws -> Response {
        var request = request
        let controls = MockControls(request.headers)
        if controls.latency > .zero { try await Task.sleep(for: controls.latency) }
        if let gate = controls.gate, controls.gateAfter == nil { await stats.pass(gate: gate) }
        let bytes = try await request.collectBody(upTo: 16 << 20)
        guard let body = try? JSONParser.parse(bytes.readableBytesView) else {
            return jsonResponse(
                .badRequest, #"{"error":{"type":"invalid_request_error","message":"body is not valid JSON"}}"#)
        }
        if controls.invalidJSON {
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "{\"id\": \"half an answer")))
        }
        if let status = controls.status {
            return jsonResponse(
                HTTPResponse.Status(code: status),
                #"{"error":{"type":"mock_error","message":"x-mock-status asked for \#(status)"}}"#)
        }
        if let failFirst = controls.failFirst {
            let digest = CacheKey(token: CanonicalJSON.serialize(body)).hex
            let count = stats.seen.withLock { seen in
                seen[digest, default: 0] += 1
                return seen[digest]!
            }
            if count <= failFirst {
                var response = jsonResponse(
                    .serviceUnavailable,
                    #"{"error":{"type":"mock_overloaded","message":"failing \#(count) of \#(failFirst)"}}"#)
                if let retryAfter = controls.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
                return response
            }
        }
        let stream = body["stream"]?.boolValue == true
        if let bulk = controls.bulk {
            return MockBulk.response(bytes: bulk, stream: stream, controls: controls, stats: stats)
        }
        let model = body["model"]?.stringValue ?? "mock-1"
        var answer = MockAnswers.answer(for: body, padding: controls.padding, prose: controls.prose)
        // A sampled model: the same request, another answer each call.
        if controls.vary { answer += " (answer \(number))" }
        let id = CacheKey(token: CanonicalJSON.serialize(body)).hex.prefix(24)
        switch (path, stream) {
        case ("/v1/messages", false):
            return jsonResponse(
                .ok, MockBodies.anthropicMessage(id: id, model: model, text: answer, cache: controls.promptCache))
        case ("/v1/messages", true):
            return eventStream(
                MockBodies.anthropicEvents(id: id, model: model, text: answer, cache: controls.promptCache),
                controls: controls, stats: stats)
        case ("/v1/embeddings", _):
            let count = if case .array(let items)? = body["input"] { items.count } else { 1 }
            stats.embeddingInputs.withLock { $0.append(count) }
            return jsonResponse(
                .ok,
                MockBodies.embeddings(
                    input: body["input"], model: model, base64: body["encoding_format"]?.stringValue == "base64"))
        case ("/v1/completions", false):
            return jsonResponse(.ok, MockBodies.completion(id: id, model: model, text: answer))
        case ("/v1/responses", false):
            return jsonResponse(.ok, MockBodies.response(id: id, model: model, text: answer))
        case ("/v1/responses", true):
            return eventStream(
                MockBodies.responseEvents(id: id, model: model, text: answer), controls: controls, stats: stats)
        case (_, true):
            return eventStream(
                MockBodies.chatChunks(id: id, model: model, text: answer, legacy: path == "/v1/completions"),
                controls: controls, stats: stats)
        default:
            return jsonResponse(
                .ok, MockBodies.chatCompletion(id: id, model: model, text: answer, cache: controls.promptCache))
        }
    }

    static func jsonResponse(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func eventStream(_ events: [String], controls: MockControls, stats: MockUpstreamStats) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                for (index, event) in events.enumerated() {
                    if let cut = controls.cutAfter, index >= cut {
                        throw MockCut()
                    }
                    if index > 0 && controls.chunkDelay > .zero { try await Task.sleep(for: controls.chunkDelay) }
                    if let gate = controls.gate, controls.gateAfter == index { await stats.pass(gate: gate) }
                    if controls.pause > .zero, controls.pauseAt == index { try await Task.sleep(for: controls.pause) }
                    try await writer.write(ByteBuffer(string: event))
                }
                try await writer.finish(nil)
            })
    }

    /// Thrown to cut a stream short (the connection closes without the terminal chunk).
    struct MockCut: Error {}
}

/// The steering headers of one request.
struct MockControls {
    var latency: Duration = .zero
    var status: Int?
    var chunkDelay: Duration = .zero
    var padding = 0
    var prose = 0
    var cutAfter: Int?
    var failFirst: Int?
    var retryAfter: Int?
    var invalidJSON = false
    var gate: String?
    var gateAfter: Int?
    var bulk: Int?
    var pause: Duration = .zero
    var pauseAt = 1
    var promptCache = MockBodies.PromptCache()
    var vary = false

    init(_ headers: HTTPFields) {
        func number(_ name: String) -> Int? {
            guard let field = HTTPField.Name(name), let value = headers[field] else { return nil }
            return Int(value.trimmedSpaces)
        }
        latency = .milliseconds(min(max(number("x-mock-latency-ms") ?? 0, 0), 600_000))
        status = number("x-mock-status").flatMap { (100...599).contains($0) ? $0 : nil }
        chunkDelay = .milliseconds(min(max(number("x-mock-chunk-delay-ms") ?? 0, 0), 60_000))
        padding = min(max(number("x-mock-padding") ?? 0, 0), 16 << 20)
        prose = min(max(number("x-mock-prose") ?? 0, 0), 16 << 20)
        cutAfter = number("x-mock-cut-after").map { max($0, 0) }
        failFirst = number("x-mock-fail-first").map { min(max($0, 0), 1_000) }
        retryAfter = number("x-mock-retry-after").map { min(max($0, 0), 3_600) }
        invalidJSON = headers[HTTPField.Name("x-mock-invalid-json")!] != nil
        gate = headers[HTTPField.Name("x-mock-gate")!]
        gateAfter = number("x-mock-gate-after").map { max($0, 0) }
        pause = .milliseconds(min(max(number("x-mock-pause-ms") ?? 0, 0), 600_000))
        pauseAt = number("x-mock-pause-at").map { max($0, 0) } ?? 1
        bulk = number("x-mock-bulk-bytes").map { min(max($0, 0), 1 << 30) }
        vary = headers[HTTPField.Name("x-mock-vary")!] != nil
        promptCache = MockBodies.PromptCache(
            read: min(max(number("x-mock-cached-tokens") ?? 0, 0), 1 << 30),
            write: min(max(number("x-mock-cache-write-tokens") ?? 0, 0), 1 << 30))
    }
}

/// Any path and method the router does not know answers a fresh object, as an endpoint that
/// creates something would. A middleware, because the router sends unmatched requests through
/// its middlewares to its not-found responder (its trie does not fall back to a `**` route from
/// a deeper `/v1/...` branch).
struct CatchAllMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let stats: MockUpstreamStats

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let number = stats.note(request)
            let object =
                #"{"id":"obj_\#(number)","object":"mock.object","method":"\#(request.method)","path":"\#(request.uri.path)"}"#
            return MockDecoration.decorate(MockUpstream.jsonResponse(.ok, object), request: request, number: number)
        }
    }
}
