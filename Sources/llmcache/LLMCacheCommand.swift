import ArgumentParser
import LLMCacheCore

@main
struct LLMCacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llmcache",
        abstract: "A caching reverse proxy for LLM APIs.",
        version: LLMCacheVersion.string,
        subcommands: [
            ServeCommand.self, MockUpstreamCommand.self, SimulateCommand.self, TrainDictionaryCommand.self,
            StoreWriterCommand.self,
        ]
    )
}
