import ExamplePlugins
import LLMCacheCLI
import LLMCachePlugins
import LLMCacheServer

// `llmcache` with this package's plugins linked in: every subcommand works as usual, and
// `serve` / `config check` also know max_tokens_guard and the echo provider.
var registry = PluginRegistry.builtIn
registry.register(MaxTokensGuard.factory)
registry.register(provider: EchoProvider(), named: "echo")
await LLMCacheCLI.main(plugins: registry)
