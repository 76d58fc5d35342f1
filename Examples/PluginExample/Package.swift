// swift-tools-version: 6.0
// A third-party plugin package for llmcache, in the model of Caddy's xcaddy: it depends on the
// llmcache library, registers its plugins, and builds its own binary (`llmcache-plus`) that is
// `llmcache` with them linked in.
import PackageDescription

let package = Package(
    name: "llmcache-plugin-example",
    platforms: [.macOS(.v15)],
    dependencies: [
        // A real plugin would name a version: .package(url: "https://…/llmcache.git", from: "…").
        .package(name: "llmcache", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .target(
            name: "ExamplePlugins",
            dependencies: [
                .product(name: "LLMCachePlugins", package: "llmcache"),
                .product(name: "LLMCacheConfig", package: "llmcache"),
                .product(name: "LLMCacheCore", package: "llmcache"),
                .product(name: "LLMCacheUpstream", package: "llmcache"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "llmcache-plus",
            dependencies: [
                "ExamplePlugins",
                .product(name: "LLMCacheCLI", package: "llmcache"),
                .product(name: "LLMCachePlugins", package: "llmcache"),
                .product(name: "LLMCacheServer", package: "llmcache"),
            ]
        ),
    ]
)
