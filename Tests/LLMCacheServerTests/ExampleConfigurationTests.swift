import LLMCacheConfig
import LLMCacheServer
import LLMCacheTestSupport
import Testing

/// The repository's example file and the documentation's configuration reference stay true.
@Suite struct ExampleConfigurationTests {
    static let root: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    static func text(_ name: String) throws -> String {
        try #require(readTextFile(root + "/" + name))
    }

    @Test func theExampleFileIsValidAndSaysTheDefaults() throws {
        let loader = ConfigLoader(path: Self.root + "/llmcache.example.yaml", environment: [:])
        let settings = try loader.load()
        _ = try ProxyConfiguration(settings: settings, registry: .builtIn)
        _ = try PluginRegistry.builtIn.makeChain(settings.plugins)
        // The example documents the defaults: loading it changes nothing.
        #expect(settings == LLMCacheSettings())
        // Its commented plugins block is valid too, once uncommented.
        let example = try Self.text("llmcache.example.yaml")
        let plugins = example[try #require(example.firstRange(of: "plugins: []")).upperBound...]
            .split(separator: "\n").map { $0.hasPrefix("#") ? String($0.dropFirst()) : String($0) }
        let settingsWithPlugins = try ConfigLoader(path: nil, environment: ["OPENAI_ORG": "org-1"])
            .load(text: "plugins:\n" + plugins.joined(separator: "\n"), source: "example plugins")
        #expect(settingsWithPlugins.plugins.map(\.name) == ["access_log", "redaction", "key_rules", "header_rules"])
        _ = try PluginRegistry.builtIn.makeChain(settingsWithPlugins.plugins)
    }

    @Test func theDocumentationNamesEveryKeyAndPlugin() throws {
        let configuration = try Self.text("docs/configuration.md")
        for key in LLMCacheSettings.reference {
            #expect(configuration.contains("`\(key.path)`"), "docs/configuration.md lacks \(key.path)")
        }
        let plugins = try Self.text("docs/plugins.md")
        for plugin in PluginRegistry.builtIn.factories.keys {
            #expect(plugins.contains("`\(plugin)`"), "docs/plugins.md lacks the plugin \(plugin)")
        }
    }
}
