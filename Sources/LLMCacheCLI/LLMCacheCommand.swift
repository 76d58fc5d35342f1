import ArgumentParser
import LLMCacheCore
import LLMCachePlugins
import LLMCacheServer

/// The `llmcache` command line. A binary with third-party plugins calls
/// ``LLMCacheCLI/main(plugins:)`` with its registry (the Caddy/xcaddy model).
struct LLMCacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llmcache",
        abstract: "A caching reverse proxy for LLM APIs.",
        version: LLMCacheVersion.string,
        subcommands: [
            ServeCommand.self, MockUpstreamCommand.self, ReplayCheckCommand.self, ExportCommand.self,
            ImportCommand.self, VerifyCommand.self, InspectCommand.self, PurgeCommand.self, SimulateCommand.self,
            TrainDictionaryCommand.self, StoreWriterCommand.self, StoreCheckCommand.self, StatsCommand.self,
            ConfigCommand.self,
        ]
    )
}

/// Entry point of an `llmcache` binary.
public enum LLMCacheCLI {
    /// Runs the command line with `plugins` available to `serve` and `config check` (the built-ins
    /// are always there).
    public static func main(plugins: PluginRegistry = .builtIn) async {
        PluginRegistry.installed = plugins
        await LLMCacheCommand.main()
    }
}
