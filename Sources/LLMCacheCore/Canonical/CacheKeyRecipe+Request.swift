/// A request header the key recipe cannot use.
public struct RequestKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }
}

extension CacheKeyRecipe {
    /// Request headers that change the answer and so are part of the key.
    public static let answerChangingHeaders: Set<String> = ["anthropic-version", "anthropic-beta", "openai-beta"]

    /// The key recipe of an HTTP request: namespace (`x-llmcache-namespace`), tenant scope of its
    /// credential (`authorization`, else `x-api-key`; `tenantScope` nil: shared across
    /// credentials), the upstream that serves its route, method, path, answer-changing headers
    /// and canonical body. The one definition the proxy and the offline tools share. Header names
    /// must be lowercase.
    /// - Throws: ``RequestKeyError`` for a namespace that is not 1–128 printable ASCII characters.
    /// Inlinable, so that a caller's header sequence is specialized in its own module (no
    /// generic-metadata work per request on the proxy's path).
    @inlinable
    public static func request(
        method: String, path: String, headers: some Sequence<(name: String, value: String)>, canonical: [UInt8],
        upstream: String, tenantScope: ((String) -> [UInt8])?
    ) throws(RequestKeyError) -> CacheKeyRecipe {
        var namespaceHeader: String?
        var authorization: String?
        var apiKey: String?
        var answerChanging: [HeaderField] = []
        for (name, value) in headers {
            switch name {
            case "x-llmcache-namespace": namespaceHeader = namespaceHeader ?? value
            case "authorization": authorization = authorization ?? value
            case "x-api-key": apiKey = apiKey ?? value
            case _ where answerChangingHeaders.contains(name):
                answerChanging.append(HeaderField(name: name, value: value))
            default: break
            }
        }
        return try request(
            method: method, path: path, namespace: namespaceHeader, authorization: authorization, apiKey: apiKey,
            answerChanging: answerChanging, canonical: canonical, upstream: upstream, tenantScope: tenantScope)
    }

    /// The same, from the headers the recipe reads, already picked out. `answerChanging`: the
    /// ``answerChangingHeaders`` present, names lowercase.
    public static func request(
        method: String, path: String, namespace namespaceHeader: String?, authorization: String?, apiKey: String?,
        answerChanging: [HeaderField], canonical: [UInt8], upstream: String, tenantScope: ((String) -> [UInt8])?
    ) throws(RequestKeyError) -> CacheKeyRecipe {
        let namespace = namespaceHeader ?? ""
        guard namespace.utf8.count <= 128, namespace.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f })
        else {
            throw RequestKeyError("x-llmcache-namespace must be at most 128 printable ASCII characters")
        }
        return CacheKeyRecipe(
            namespace: namespace, tenant: tenantScope?(authorization ?? apiKey ?? "") ?? [], upstream: upstream,
            method: method, path: path, headers: answerChanging, canonicalBody: canonical)
    }
}
