import HTTPTypes
import Hummingbird
import LLMCacheCore

/// Stage 2: normalize the body, apply the key rules and compute what the request asks of the
/// cache.
extension ProxyPipeline {
    func key(_ exchange: ProxyExchange) throws -> CacheLookup {
        let request = exchange.request
        if let contentType = request.headers[.contentType]?.lowercased(), !contentType.hasPrefix("application/json"),
            !contentType.contains("+json")
        {
            throw ProxyError(
                status: .unsupportedMediaType, type: "unsupported_media_type",
                message: "expected application/json, got \(contentType)")
        }
        var normalized: (value: JSONValue, canonical: [UInt8])
        do {
            normalized = try normalizers.for(exchange.route.upstream.provider).normalize(
                exchange.body.readableBytesView)
        } catch let error as JSONParseError {
            throw ProxyError.badRequest("request body is not valid JSON: \(error)")
        }
        if plugins.uses(.keyRules) {
            normalized = try rewriteKey(normalized.value, request: request, route: exchange.route)
        }
        var lookup = try CacheLookup(
            request: request, route: exchange.route, canonical: normalized.canonical,
            model: normalized.value["model"]?.stringValue ?? "", mode: exchange.mode, configuration: configuration,
            tenantScopes: services.tenantScopes)
        lookup.sample = try SampleRequest.of(
            path: request.uri.path, body: normalized.value, headers: request.headers,
            count: exchange.route.samples ?? configuration.samples)
        return lookup
    }

    /// Picks a sampled request's index (the client's, or the key's rotation) and its key.
    func choosingSample(_ lookup: CacheLookup) -> CacheLookup {
        guard let sample = lookup.sample else { return lookup }
        var lookup = lookup
        let chosen = services.samples.choose(lookup.key, sample)
        services.metrics.sampled(index: chosen.index, heldBefore: chosen.heldBefore, heldAfter: chosen.heldAfter)
        lookup.key = SampleRequest.key(lookup.key, sample: chosen.index)
        lookup.sampleIndex = chosen.index
        return lookup
    }
}
