import ArgumentParser
#if canImport(Glibc)
    import Glibc
#endif
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

    @Flag(
        help: """
            Keep refreshing: rates of the last interval, then the totals, then the recent misses (from the \
            admin API). Ctrl-C stops.
            """)
    var watch = false

    @Option(help: "Seconds between refreshes with --watch.")
    var interval: Double = 2

    @Option(help: "Stop after this many refreshes with --watch (default: never).")
    var count: Int?

    func validate() throws {
        guard (url == nil) == target.isGiven else {
            throw ValidationError("give either --url URL, --store DIR or --shared-postgres URL")
        }
        if json, target.isGiven { throw ValidationError("--json goes with --url") }
        if watch, url == nil || json { throw ValidationError("--watch goes with --url, without --json") }
        guard interval >= 0.1, interval <= 3_600 else {
            throw ValidationError("--interval must be 0.1 to 3600 seconds")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        if watch {
            try await watchStats(url: url!, token: try ServeCommand.credential(fromEnvironment: tokenEnv))
            return
        }
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

extension StatsCommand {
    /// Redraws the live view every `interval` seconds (clearing the screen on a terminal); an
    /// unreachable proxy is shown as disconnected and asked again.
    func watchStats(url: String, token: String?) async throws {
        let clear = isatty(STDOUT_FILENO) == 1 ? "\u{1B}[H\u{1B}[2J" : ""
        var previous: (stats: JSONValue, at: ContinuousClock.Instant)?
        var frames = 0
        while count.map({ frames < $0 }) ?? true {
            if frames > 0 { try await Task.sleep(for: .milliseconds(Int(interval * 1_000))) }
            let now = ContinuousClock.now
            var text: String
            do {
                let stats = try await StatsFetch.fetch(base: url, token: token, view: "dashboard")
                let seconds = previous.map { Double((now - $0.at) / .milliseconds(1)) / 1_000 } ?? 0
                text = try StatsWatch.frame(
                    previous: previous?.stats, current: stats, seconds: seconds, every: interval, source: url)
                previous = (stats, now)
            } catch let error as ToolkitError {
                text =
                    "llmcache \(url) — disconnected: \(error.message)\nretrying every \(interval) s, Ctrl-C to stop\n"
            }
            print(clear + text, terminator: frames + 1 == count ? "" : "\n")
            fflush(nil)
            frames += 1
        }
    }
}
