import ArgumentParser
import LLMCacheCore
import LLMCacheStore
import LLMCacheToolkit

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a stored entry: canonical request, metadata, response, which tiers hold it.",
        discussion: """
            Name the entry by KEY, or by --request FILE (the first line of a requests file, as \
            replay-check reads it; its key is computed as the proxy computes it). When nothing is \
            stored under the key, the nearest stored request and the fields that differ are shown.
            """)

    @Argument(help: "The key (64 hex digits).")
    var key: String?

    @Option(help: "The store directory.")
    var store: String

    @Option(help: "A requests file whose first request names the entry.")
    var request: String?

    @OptionGroup var keys: KeyOptions

    @Flag(help: "Print the whole body (default: its first 4 KiB).")
    var full = false

    func validate() throws {
        guard (key == nil) != (request == nil) else { throw ValidationError("give either a KEY or --request FILE") }
        if let key, CacheKey(hex: key) == nil { throw ValidationError("KEY must be 64 hex digits, got '\(key)'") }
    }

    func run() throws {
        let tier = try runTool { try StoreAccess.open(store) }
        var recipe: CacheKeyRecipe?
        var model = ""
        let cacheKey: CacheKey
        if let key {
            cacheKey = CacheKey(hex: key)!
        } else {
            (recipe, model) = try runTool {
                let bytes = try InspectRequestFile.firstLine(request!)
                let secret = try tier.tenantSecret()
                return try ReplayCheck.keyRecipe(
                    try ReplayRequest(line: bytes[...]), routes: try StoreAccess.routes(extra: keys.route),
                    tenantScope: keys.shareAcrossCredentials
                        ? nil : { TenantScope.scope(credential: $0, secret: secret) })
            }
            cacheKey = recipe!.key
        }
        if let entry = tier.get(cacheKey) {
            print(
                EntryDescription.text(
                    key: cacheKey, entry: entry, tiers: ["disk"], now: SystemClock().now(), bodyLimit: full ? nil : 4096
                ),
                terminator: "")
            return
        }
        printError("nothing stored under \(cacheKey.hex)")
        if let recipe { printError(tier.explainMiss(recipe, model: model).summary) }
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
