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
            per namespace and model — hit rates are only counted by a running proxy. --shared-postgres \
            reads the tier several instances share: entries, expired rows, bytes, entries per namespace.
            """)

    @Option(help: "Address of a running proxy or its admin API, e.g. http://127.0.0.1:8080.")
    var url: String?

    @OptionGroup var target: StoreTargetOptions

    @Option(help: "Environment variable holding the admin API's bearer token.")
    var tokenEnv: String?

    @Flag(help: "Print the raw /stats JSON instead of the table.")
    var json = false

    func validate() throws {
        guard (url == nil) == target.isGiven else {
            throw ValidationError("give either --url URL, --store DIR or --shared-postgres URL")
        }
        if json, target.isGiven { throw ValidationError("--json goes with --url") }
    }

    func run() async throws {
        if target.isGiven {
            let text = try await target.with { store in
                switch store {
                case .disk(let disk): try StatsTable.render(store: disk)
                case .shared(let shared): StatsTable.render(shared: try await shared.summary())
                }
            }
            print(text, terminator: "")
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
