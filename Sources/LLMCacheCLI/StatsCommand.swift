import ArgumentParser
import LLMCacheCore
import LLMCacheToolkit

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print per-tier hit rates of a running proxy, or what a store holds.",
        discussion: """
            --url asks a running proxy's /stats (its own address or the admin API's). --store reads \
            the store directory directly (no server needed): entries, sizes, compression, entries \
            per namespace and model — hit rates are only counted by a running proxy.
            """)

    @Option(help: "Address of a running proxy or its admin API, e.g. http://127.0.0.1:8080.")
    var url: String?

    @Option(help: "A store directory to read directly.")
    var store: String?

    @Option(help: "Environment variable holding the admin API's bearer token.")
    var tokenEnv: String?

    @Flag(help: "Print the raw /stats JSON instead of the table.")
    var json = false

    func validate() throws {
        guard (url == nil) != (store == nil) else { throw ValidationError("give either --url URL or --store DIR") }
        if json, store != nil { throw ValidationError("--json goes with --url") }
    }

    func run() async throws {
        if let store {
            let tier = try runTool { try StoreAccess.open(store) }
            print(try runTool { try StatsTable.render(store: tier) }, terminator: "")
            return
        }
        let token = try ServeCommand.credential(fromEnvironment: tokenEnv)
        let stats: JSONValue
        do { stats = try await StatsFetch.fetch(base: url!, token: token) } catch let error as ToolkitError {
            printError(error.message)
            throw ExitCode(1)
        }
        if json {
            print(String(decoding: CanonicalJSON.serialize(stats), as: UTF8.self))
        } else {
            print(try runTool { try StatsTable.render(stats: stats) }, terminator: "")
        }
    }
}
