import LLMCacheConfig
import LLMCachePlugins
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

    @Test func theConfigurationPageHoldsTheReferenceTable() throws {
        let page = try Self.text("docs/configuration.md")
        #expect(
            page.contains(LLMCacheSettings.referenceTable),
            "docs/configuration.md's table differs from `llmcache config reference`: paste its output")
    }

    /// The defaults the reference documents are the defaults the code has: each documented
    /// default, given through its environment variable, changes nothing.
    @Test func everyDocumentedDefaultIsTheDefault() throws {
        var checked = 0
        for key in LLMCacheSettings.reference {
            guard let variable = key.environmentVariable, !key.defaultValue.contains(" "),
                !["none", "unbounded", "—"].contains(key.defaultValue)
            else { continue }
            let loader = ConfigLoader(path: nil, environment: [variable: key.defaultValue])
            let settings = try loader.load()
            #expect(
                settings == LLMCacheSettings(), "\(key.path): documented default \(key.defaultValue) is not the default"
            )
            #expect(loader.unknownEnvironmentVariables.isEmpty)
            checked += 1
        }
        #expect(checked >= 15, "only \(checked) defaults checked: the filter above skips too many")
    }

    /// `ProxyConfiguration`'s own defaults (used by tests and embedders) agree with the
    /// configuration file's.
    @Test func theProxyDefaultsAgreeWithTheSettingsDefaults() throws {
        let fromSettings = try ProxyConfiguration(settings: LLMCacheSettings(), registry: .builtIn)
        let plain = ProxyConfiguration()
        #expect(fromSettings.host == plain.host && fromSettings.port == plain.port)
        #expect(fromSettings.storeDirectory == plain.storeDirectory)
        #expect(fromSettings.mode == plain.mode && fromSettings.shareAcrossCredentials == plain.shareAcrossCredentials)
        #expect(fromSettings.memory == plain.memory)
        #expect(fromSettings.maximumRequestBytes == plain.maximumRequestBytes)
        #expect(fromSettings.maximumStoredResponseBytes == plain.maximumStoredResponseBytes)
        #expect(fromSettings.defaultTTL == plain.defaultTTL && fromSettings.maximumJSONDepth == plain.maximumJSONDepth)
        #expect(fromSettings.memoryLimit == plain.memoryLimit)
        #expect(fromSettings.storeMaxBytes == plain.storeMaxBytes && fromSettings.storeMapSize == plain.storeMapSize)
        #expect(fromSettings.upstream.connectTimeout == plain.upstream.connectTimeout)
        #expect(fromSettings.upstream.headTimeout == plain.upstream.headTimeout)
        #expect(fromSettings.upstream.totalTimeout == plain.upstream.totalTimeout)
        #expect(fromSettings.upstream.maximumConnectionsPerHost == plain.upstream.maximumConnectionsPerHost)
        #expect(fromSettings.routes.routes.map(\.upstream.baseURL) == plain.routes.routes.map(\.upstream.baseURL))
    }
}
