import ArgumentParser
import LLMCacheCore

@main
struct LLMCacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llmcache",
        abstract: "A caching reverse proxy for LLM APIs.",
        version: LLMCacheVersion.string,
        subcommands: [
            ServeCommand.self, MockUpstreamCommand.self, ReplayCheckCommand.self, ExportCommand.self,
            ImportCommand.self, VerifyCommand.self, InspectCommand.self, PurgeCommand.self, SimulateCommand.self,
            TrainDictionaryCommand.self, StoreWriterCommand.self, StatsCommand.self,
        ]
    )
}
