import LLMCacheCore
import LLMCacheStore
import LLMCacheUpstream
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Opening stores and building route tables for the command-line tools.
public enum StoreAccess {
    /// Opens an existing store; a directory without one is an error (never silently created).
    public static func open(_ directory: String) throws -> DiskTier {
        var info = stat()
        guard stat(directory + "/data.mdb", &info) == 0 else {
            throw ToolkitError("no llmcache store in \(directory) (no data.mdb)")
        }
        return try openOrCreate(directory)
    }

    /// Opens or creates a store (a new one with `tenantScope`'s secret).
    public static func openOrCreate(_ directory: String, tenantScope: TenantScopeKind = .portable) throws -> DiskTier {
        var logger = Logger(label: "llmcache.tool")
        logger.logLevel = .error
        do {
            return try DiskTier(configuration: .init(directory: directory, tenantScope: tenantScope), logger: logger)
        } catch {
            throw ToolkitError("cannot open the store in \(directory): \(error)")
        }
    }

    /// The proxy's route table with `extra` routes (`PREFIX=URL[,anthropic]`, as `serve --route`
    /// takes them). Only the upstream ids matter for keys, not the URLs.
    public static func routes(extra: [String]) throws -> RouteTable {
        try RouteTable.standard(
            openAI: Upstream(id: "openai", baseURL: "https://api.openai.com", provider: .openAI),
            anthropic: Upstream(id: "anthropic", baseURL: "https://api.anthropic.com", provider: .anthropic)
        ).adding(extra.map { try RouteTable.parseRoute($0) })
    }
}
