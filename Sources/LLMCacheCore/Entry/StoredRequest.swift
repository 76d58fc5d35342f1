import Crypto

/// The request a stored entry answers: every input of its ``CacheKeyRecipe`` except the
/// namespace and the canonical body (which the entry keeps itself), plus the model the body
/// names. With it a key can be recomputed (verify, import with another tenant scope) and a miss
/// compared against stored requests of the same route and model.
///
/// Holds the tenant *scope* (a keyed hash), never a credential.
public struct StoredRequest: Sendable, Hashable {
    public var method: String
    public var path: String
    /// The upstream id of the route (part of the key).
    public var upstream: String
    /// Answer-changing request headers, names lowercased.
    public var headers: [HeaderField]
    /// The tenant scope (32 bytes), or empty when entries are shared across credentials.
    public var tenant: [UInt8]
    /// The body's top-level `model` string, or empty.
    public var model: String

    public init(
        method: String, path: String, upstream: String, headers: [HeaderField] = [], tenant: [UInt8] = [],
        model: String = ""
    ) {
        self.method = method
        self.path = path
        self.upstream = upstream
        self.headers = headers
        self.tenant = tenant
        self.model = model
    }

    /// The recipe of the key this request had in `namespace` with `canonicalBody`.
    public func recipe(namespace: String, canonicalBody: [UInt8]) -> CacheKeyRecipe {
        CacheKeyRecipe(
            namespace: namespace, tenant: tenant, upstream: upstream, method: method, path: path, headers: headers,
            canonicalBody: canonicalBody)
    }

    /// Bytes it adds to an entry's accounted size.
    var byteCount: Int {
        method.utf8.count + path.utf8.count + upstream.utf8.count + tenant.count + model.utf8.count
            + headers.reduce(0) { $0 + 32 + $1.name.utf8.count + $1.value.utf8.count }
    }
}

extension CacheKeyRecipe {
    /// The parts of this recipe an entry keeps (everything but namespace and body).
    public func storedRequest(model: String) -> StoredRequest {
        StoredRequest(method: method, path: path, upstream: upstream, headers: headers, tenant: tenant, model: model)
    }
}

extension CacheEntry {
    /// The recipe of the key the entry was stored under, when the entry knows its request
    /// (entries written before record format 2 do not).
    public var keyRecipe: CacheKeyRecipe? {
        request.map { $0.recipe(namespace: namespace, canonicalBody: Array(canonicalRequest.readableBytesView)) }
    }
}

extension StoredRequest {
    /// 8 bytes naming this request's route in `namespace` (namespace, upstream, method, path):
    /// the first part of its key in a store's request index.
    public func routeDigest(namespace: String) -> [UInt8] {
        Self.digest([namespace, upstream, method.uppercased(), path])
    }

    /// 8 bytes naming the model: the second part of the index key.
    public var modelDigest: [UInt8] { Self.digest([model]) }

    private static func digest(_ parts: [String]) -> [UInt8] {
        var hasher = SHA256()
        for part in parts {
            withUnsafeBytes(of: UInt64(part.utf8.count).bigEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(data: Array(part.utf8))
        }
        return Array(hasher.finalize().prefix(8))
    }
}
