import Crypto

/// How a request becomes a ``CacheKey`` (ARCHITECTURE.md "Cache key"):
/// SHA-256 over, each length-prefixed, the recipe version, namespace, tenant scope, upstream id,
/// method, path, the answer-changing headers (lowercased names, sorted) and the canonical body.
/// Changing anything here changes every key: bump ``version``.
public struct CacheKeyRecipe: Sendable, Equatable {
    /// The version of this recipe, stored with every entry. 2: a credential is scoped as the
    /// bare token (`Authorization: Bearer K` and `x-api-key: K` are one tenant), and OpenAI's
    /// `store` is part of the key (its `metadata` too when the answer is stored upstream).
    public static let version: UInt16 = 2

    public var namespace: String
    /// The tenant's scope (``TenantScope``), or empty when entries are shared across credentials.
    public var tenant: [UInt8]
    /// Which upstream serves the route (a name from the route table).
    public var upstream: String
    public var method: String
    public var path: String
    /// Request headers that change the answer (`anthropic-version`, `anthropic-beta`,
    /// `openai-beta`, …), names lowercased.
    public var headers: [HeaderField]
    /// The canonical request body (``RequestNormalizer``).
    public var canonicalBody: [UInt8]

    public init(
        namespace: String, tenant: [UInt8], upstream: String, method: String, path: String, headers: [HeaderField],
        canonicalBody: [UInt8]
    ) {
        self.namespace = namespace
        self.tenant = tenant
        self.upstream = upstream
        self.method = method
        self.path = path
        self.headers = headers
        self.canonicalBody = canonicalBody
    }

    public var key: CacheKey {
        var hasher = SHA256()
        func field(_ bytes: some Collection<UInt8>) {
            withUnsafeBytes(of: UInt64(bytes.count).bigEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(data: Array(bytes))
        }
        withUnsafeBytes(of: Self.version.bigEndian) { hasher.update(bufferPointer: $0) }
        field(namespace.utf8)
        field(tenant)
        field(upstream.utf8)
        field(method.uppercased().utf8)
        field(path.utf8)
        let sorted = headers.map { HeaderField(name: $0.name.lowercased(), value: $0.value) }
            .sorted { ($0.name, $0.value) < ($1.name, $1.value) }
        withUnsafeBytes(of: UInt64(sorted.count).bigEndian) { hasher.update(bufferPointer: $0) }
        for header in sorted {
            field(header.name.utf8)
            field(header.value.utf8)
        }
        field(canonicalBody)
        return CacheKey(digest: Array(hasher.finalize()))!
    }
}

/// The tenant scope of a credential: HMAC-SHA-256 keyed with a per-store secret, so entries are
/// partitioned by credential while the credential itself is never stored or logged.
public enum TenantScope {
    /// The scope of the credential a header carries. `credential` is the header's value as sent:
    /// `Authorization: Bearer K` and `x-api-key: K` carry the same credential K (the Anthropic SDK
    /// sends either), so both give one scope.
    public static func scope(credential: String, secret: [UInt8]) -> [UInt8] {
        let token = Self.token(credential)
        let code = HMAC<SHA256>.authenticationCode(for: Array(token.utf8), using: SymmetricKey(data: secret))
        return Array(code)
    }

    /// The bare credential of a header value: surrounding spaces and an `Authorization` scheme
    /// prefix (`Bearer`, any case) removed.
    public static func token(_ value: String) -> String {
        let text = value.trimmedSpaces
        guard text.count > 7, text.prefix(7).lowercased() == "bearer " else { return text }
        return text.dropFirst(7).trimmedSpaces
    }

    /// A short public name of a store's secret (16 hex digits of a hash of it): export files
    /// carry it so an import can tell whether their tenant scopes were made by the same secret.
    public static func storeID(secret: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("llmcache-store-id".utf8))
        hasher.update(data: secret)
        return CacheKey.hex(hasher.finalize().prefix(8))
    }

    /// 32 random bytes for a new store's secret.
    public static func newSecret() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    /// The secret of every *portable* store: the same everywhere (a hash of a fixed label), so a
    /// credential's scope — and so every key — is the same in every store, shared tier and
    /// memory-only proxy made with it: a recording exported from one and imported into another
    /// is served to the same credential there. A scope stays one-way (an HMAC of the credential,
    /// never the credential); what a store's own random secret adds is that nobody can check a
    /// guessed credential against an exported scope without the store.
    public static let portableSecret: [UInt8] = Array(
        SHA256.hash(data: Array("llmcache portable tenant scope v1".utf8)))
}

/// Which secret a new store keys its credentials' scopes with (an existing store keeps its own).
public enum TenantScopeKind: String, Sendable, Equatable, CaseIterable {
    /// ``TenantScope/portableSecret``: recordings travel between stores and machines.
    case portable
    /// A random secret of this store: its scopes mean nothing anywhere else.
    case storeOwn = "private"

    /// The secret a store created now gets.
    public func newSecret() -> [UInt8] {
        switch self {
        case .portable: TenantScope.portableSecret
        case .storeOwn: TenantScope.newSecret()
        }
    }
}
