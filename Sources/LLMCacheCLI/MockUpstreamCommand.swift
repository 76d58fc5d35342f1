import ArgumentParser
import Hummingbird
import LLMCacheMockUpstream
import Logging

#if canImport(Glibc)
    import Glibc
#endif

struct MockUpstreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-upstream",
        abstract: "Run a deterministic OpenAI- and Anthropic-compatible server for demos, tests and load tests.",
        discussion: """
            Answers chat completions, completions, embeddings, responses and messages, streaming or \
            not, from the request alone. Headers x-mock-latency-ms, x-mock-status, \
            x-mock-chunk-delay-ms, x-mock-padding and x-mock-cut-after steer it; GET /__stats counts \
            requests and connections.
            """
    )

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port: Int = 8081

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
    }

    func run() async throws {
        var logger = Logger(label: "llmcache.mock-upstream")
        logger.logLevel = .warning
        let app = MockUpstream.application(host: host, port: port, logger: logger) { port in
            print("mock-upstream listening on http://\(host):\(port)")
            fflush(nil)
        }
        try await app.runService()
    }
}
