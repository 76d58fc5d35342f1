import ArgumentParser
import LLMCacheCore
import LLMCacheStore
import LLMCacheToolkit

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a stored entry: canonical request, metadata, response, which tiers hold it.",
        discussion: """
            Name the entry by KEY, or by --request FILE (the first line of a requests file, as \
            replay-check reads it; its key is computed as the proxy computes it). When nothing is \
            stored under the key, the nearest stored request and the fields that differ are shown. \
            --shared-postgres reads the tier several instances share instead of a store.
            """)

    @Argument(help: "The key (64 hex digits).")
    var key: String?

    @OptionGroup var target: StoreTargetOptions

    @Option(help: "A requests file whose first request names the entry.")
    var request: String?

    @OptionGroup var keys: KeyOptions

    @Flag(help: "Print the whole body (default: its first 4 KiB).")
    var full = false

    func validate() throws {
        guard target.isGiven else { throw ValidationError("give --store DIR or --shared-postgres URL") }
        guard (key == nil) != (request == nil) else { throw ValidationError("give either a KEY or --request FILE") }
        if let key, CacheKey(hex: key) == nil { throw ValidationError("KEY must be 64 hex digits, got '\(key)'") }
    }

    func run() async throws {
        try await target.with { store in try await inspect(store) }
    }

    private func inspect(_ store: EntryStore) async throws {
        var recipe: CacheKeyRecipe?
        var model = ""
        let cacheKey: CacheKey
        if let key {
            cacheKey = CacheKey(hex: key)!
        } else {
            let bytes = try InspectRequestFile.firstLine(request!)
            let secret = try await store.tenantSecret()
            (recipe, model) = try ReplayCheck.keyRecipe(
                try ReplayRequest(line: bytes[...]), routes: try StoreAccess.routes(extra: keys.route),
                tenantScope: keys.shareAcrossCredentials ? nil : { TenantScope.scope(credential: $0, secret: secret) })
            cacheKey = recipe!.key
        }
        if let entry = try await store.entry(cacheKey) {
            print(
                EntryDescription.text(
                    key: cacheKey, entry: entry, tiers: [store.tierName], now: SystemClock().now(),
                    bodyLimit: full ? nil : 4096),
                terminator: "")
            return
        }
        printError("nothing stored under \(cacheKey.hex)")
        if let recipe { printError(await store.explainMiss(recipe, model: model).summary) }
        throw ExitCode(1)
    }
}

enum InspectRequestFile {
    /// The first non-blank line of a requests file.
    static func firstLine(_ path: String) throws -> [UInt8] {
        let bytes = try ToolFiles.contents(path)
        for line in bytes.split(separator: 0x0A) where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) {
            return Array(line)
        }
        throw ToolkitError("\(path) holds no request")
    }
}
