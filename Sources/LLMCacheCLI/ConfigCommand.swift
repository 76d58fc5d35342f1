import ArgumentParser
import LLMCacheConfig
import LLMCachePlugins
import LLMCacheServer

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check a configuration file, or list every configuration key.",
        subcommands: [ConfigCheckCommand.self, ConfigReferenceCommand.self]
    )
}

struct ConfigCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration file and print the effective configuration (secrets redacted).",
        discussion: """
            Reads FILE as `serve --config FILE` would — with ${VAR} substituted from this environment and \
            LLMCACHE_… variables layered on top — builds its plugins, and prints the result as YAML. \
            Exits 1 listing every problem (key path and line) if the file cannot be used.
            """
    )

    @Argument(help: "The configuration file.")
    var file: String

    @Flag(help: "Print secrets instead of <redacted>.")
    var showSecrets = false

    func run() throws {
        let registry = PluginRegistry.installed
        let loader = ConfigLoader(
            path: file, environment: ConfigLoader.processEnvironment(), providers: Set(registry.providers.keys))
        do {
            let settings = try loader.load()
            _ = try ProxyConfiguration(settings: settings, registry: registry)
            _ = try registry.makeChain(settings.plugins)
            for name in loader.unknownEnvironmentVariables {
                printError("warning: environment variable \(name) names no configuration key; ignored")
            }
            print("# \(file): valid", terminator: "\n")
            print(settings.yaml(redactingSecrets: !showSecrets), terminator: "")
        } catch {
            printError("\(file): \(error.description)")
            throw ExitCode.failure
        }
    }
}

struct ConfigReferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference",
        abstract:
            "Print every configuration key as a Markdown table (type, default, reloadable, secret, environment variable)."
    )

    func run() {
        print(LLMCacheSettings.referenceTable, terminator: "")
    }
}
