import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCachePlugins

/// The proxy's HTTP responder: observability endpoints first, then the ``ProxyPipeline`` over
/// this request's runtime snapshot; it counts the answer and runs the after-response plugins.
/// Bad input gets a JSON error; nothing a client sends is allowed to crash the process.
struct ProxyResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let runtime: ProxyRuntime
    let services: ProxyServices

    func respond(to original: Request, context: Context) async throws -> Response {
        let request: Request
        do { request = try NamespacePath.rewrite(original) } catch let error as ProxyError { return error.response }
        if let response = services.endpoints.response(method: request.method, path: request.uri.path) {
            return response
        }
        if request.uri.path == ManifestWriter.flushPath { return await flushManifest(request) }
        let started = ContinuousClock.now
        let pipeline = ProxyPipeline(services: services, state: runtime.current)
        var notes = RequestNotes()
        let answer: ProxyAnswer
        do {
            answer = try await pipeline.run(request, logger: context.logger, notes: &notes)
        } catch let error as ProxyError {
            answer = ProxyAnswer(error: error)
        }
        let status = answer.response.status.code < 400 ? answer.status : .error
        let nanoseconds = started.nanosecondsElapsed
        services.metrics.requestFinished(status: status, nanoseconds: nanoseconds)
        guard pipeline.plugins.uses(.afterResponse) else { return answer.response }
        let event = ResponseEvent(
            method: request.method.rawValue, path: request.uri.path, cacheStatus: status.rawValue,
            tier: answer.tier.rawValue, httpStatus: answer.response.status.code, durationNanoseconds: nanoseconds,
            key: notes.key, model: notes.model, namespace: notes.namespace, requestBody: notes.body)
        do {
            try await pipeline.afterResponse(event)
        } catch {
            return error.response
        }
        return answer.response
    }

    /// `POST /__llmcache/manifest/flush`: 204 once every manifest line of the requests answered
    /// before it is in its file (a test runner reads a test's lines between tests); 404 without
    /// a manifest.
    private func flushManifest(_ request: Request) async -> Response {
        guard request.method == .post else {
            return ProxyError(status: .methodNotAllowed, type: "method_not_allowed", message: "use POST").response
        }
        guard let manifest = services.manifest else {
            return ProxyError(
                status: .notFound, type: "not_found", message: "this proxy keeps no manifest (serve --manifest)"
            )
            .response
        }
        await manifest.flushed()
        return Response(status: .noContent)
    }
}
