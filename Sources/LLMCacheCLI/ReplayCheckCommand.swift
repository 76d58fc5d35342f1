import ArgumentParser
import LLMCacheCore
import LLMCacheStore
import LLMCacheToolkit

#if canImport(Glibc)
    import Glibc
#endif

struct ReplayCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-check",
        abstract: "Check that recorded requests would be answered from the cache; explain each miss.",
        discussion: """
            --requests takes JSON lines, one HTTP request each: {"method":"POST","path":"/v1/chat/completions",\
            "headers":{...},"body":{...}}, or a run manifest (serve --manifest), whose keys are \
            checked for presence. Against --store the keys are computed as the proxy computes them \
            (give the same --route and --share-across-credentials as serve); against --url the \
            running proxy is asked in replay mode; against --shared-postgres the tier several \
            instances share is read as a store is; --recording FILE (repeatable) checks against \
            export files directly, either form (read into a temporary store). Each miss is printed with the nearest stored \
            request and the fields that differ; a store check also lists stored entries of the same \
            namespaces that no request used. Exit status 1 below --min-hit-rate, with \
            --no-new-keys on any miss, or on unreadable lines.
            """)

    @Option(help: "The requests file (JSON lines, plain or zstd) or run manifest.")
    var requests: String

    @OptionGroup(title: "Check against a store directory or the shared tier") var target: StoreTargetOptions

    @Option(help: "Check against the proxy running at this base URL (e.g. http://127.0.0.1:8080).")
    var url: String?

    @Option(help: "Check against this export file, compact or recording form (repeatable).")
    var recording: [String] = []

    @Option(help: "Fail when the hit rate is below this fraction (0...1).")
    var minHitRate: Double?

    @Flag(help: "Fail on any request whose key is not stored.")
    var noNewKeys = false

    @Option(help: "Write a JUnit XML report to this file.")
    var junit: String?

    @OptionGroup var keys: KeyOptions

    @Flag(help: "List hits and every unused entry too.")
    var verbose = false

    func validate() throws {
        guard [target.isGiven, url != nil, !recording.isEmpty].filter({ $0 }).count == 1 else {
            throw ValidationError("give one of --store DIR, --shared-postgres URL, --url URL or --recording FILE")
        }
        if let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("--url must start with http:// or https://")
        }
        if let minHitRate, !(0...1).contains(minHitRate) { throw ValidationError("--min-hit-rate must be in 0...1") }
    }

    func run() async throws {
        let report: ReplayCheck.Report
        if let url {
            report = try await runToolAsync { try await ReplayCheck.run(requestsFile: requests, target: .url(url)) }
        } else if !recording.isEmpty {
            let routes = try runTool { try StoreAccess.routes(extra: keys.route) }
            report = try await runToolAsync { [recording, requests, keys] in
                try await ReplayCheck.run(
                    requestsFile: requests, recordings: recording, routes: routes,
                    shareAcrossCredentials: keys.shareAcrossCredentials)
            }
        } else {
            let routes = try runTool { try StoreAccess.routes(extra: keys.route) }
            report = try await target.with { store in
                try await ReplayCheck.run(
                    requestsFile: requests,
                    target: .entries(store, routes: routes, shareAcrossCredentials: keys.shareAcrossCredentials))
            }
        }
        print(report.text(verbose: verbose), terminator: "")
        if let junit {
            do { try ReplayCheck.writeJUnit(report, to: junit) } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
        var failed = false
        if let minHitRate, report.hitRate < minHitRate {
            printError("hit rate \(report.hitRate) is below --min-hit-rate \(minHitRate)")
            failed = true
        }
        if noNewKeys, report.hits < report.requests {
            printError("\(report.requests - report.hits) requests have keys that are not stored (--no-new-keys)")
            failed = true
        }
        if report.invalid > 0 {
            printError("\(report.invalid) requests could not be checked")
            failed = true
        }
        if failed { throw ExitCode(1) }
    }
}
