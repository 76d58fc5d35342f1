// swift-tools-version: 6.0
import PackageDescription

/// Invariant checks (`_checkInvariants()` after every mutation) are compiled into debug builds,
/// so the test suite runs with them and release builds pay nothing (swift-collections style).
let invariantChecks: [SwiftSetting] = [
    .define("LLMCACHE_INVARIANT_CHECKS", .when(configuration: .debug))
]

let package = Package(
    name: "llmcache",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "llmcache", targets: ["llmcache"]),
        .executable(name: "llmcache-fuzz", targets: ["llmcache-fuzz"]),
        .library(name: "LLMCacheCore", targets: ["LLMCacheCore"]),
        .library(name: "LLMCacheStore", targets: ["LLMCacheStore"]),
        .library(name: "LLMCacheShared", targets: ["LLMCacheShared"]),
        .library(name: "LLMCacheUpstream", targets: ["LLMCacheUpstream"]),
        .library(name: "LLMCacheServer", targets: ["LLMCacheServer"]),
        .library(name: "LLMCacheToolkit", targets: ["LLMCacheToolkit"]),
        .library(name: "LLMCacheAdmin", targets: ["LLMCacheAdmin"]),
        .library(name: "LLMCacheConfig", targets: ["LLMCacheConfig"]),
        .library(name: "LLMCacheCLI", targets: ["LLMCacheCLI"]),
        .library(name: "LLMCacheMockUpstream", targets: ["LLMCacheMockUpstream"]),
        .library(name: "LLMCachePlugins", targets: ["LLMCachePlugins"]),
        .library(name: "Zstd", targets: ["Zstd"]),
        .library(name: "Gzip", targets: ["Gzip"]),
        .library(name: "LMDB", targets: ["LMDB"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // System libraries. liblmdb and libzstd back the disk tier; zlib reads gzip'd traces.
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Safe Swift wrappers over the C libraries.
        .target(name: "LMDB", dependencies: ["CLMDB"]),
        .target(name: "Zstd", dependencies: ["CZstd"]),
        // Streaming gzip / deflate, for upstreams that compress their answers.
        .target(
            name: "Gzip", dependencies: ["CZlib", .product(name: "NIOCore", package: "swift-nio")]),
        // glibc's malloc_trim, for the memory governor.
        .target(name: "CMallocTrim"),
        // glibc's close-on-exec pipe and close-from spawn action, for child processes that must
        // inherit nothing but their output.
        .target(name: "CSpawn"),

        .target(
            name: "LLMCacheCore",
            dependencies: [
                "CMallocTrim",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: invariantChecks
        ),
        .target(
            name: "LLMCacheStore",
            dependencies: [
                "LLMCacheCore", "LMDB", "Zstd", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: invariantChecks
        ),
        .target(
            name: "LLMCacheUpstream",
            dependencies: [
                "LLMCacheCore", "Gzip",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "LLMCacheConfig",
            dependencies: [
                "LLMCacheCore",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // What a plugin author imports: the plugin protocol, events, upstream providers, the
        // registry — no HTTP server.
        .target(
            name: "LLMCachePlugins",
            dependencies: [
                "LLMCacheCore", "LLMCacheConfig", "LLMCacheUpstream",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "LLMCacheServer",
            dependencies: [
                "LLMCacheCore", "LLMCacheStore", "LLMCacheShared", "LLMCacheUpstream", "LLMCacheConfig",
                "LLMCachePlugins",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The deterministic OpenAI/Anthropic stand-in: for demos, tests and load scripts, never
        // linked into the proxy.
        .target(
            name: "LLMCacheMockUpstream",
            dependencies: [
                "LLMCacheCore", "Gzip",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "LLMCacheToolkit",
            dependencies: [
                "LLMCacheCore", "LLMCacheStore", "LLMCacheShared", "LLMCacheUpstream", "Zstd", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(
            name: "LLMCacheAdmin",
            dependencies: [
                "LLMCacheCore", "LLMCacheStore", "LLMCacheServer", "LLMCacheToolkit", "LLMCacheConfig",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The one builder of the running proxy: server, admin API, config watcher, drain.
        .target(
            name: "LLMCacheApp",
            dependencies: [
                "LLMCacheCore", "LLMCacheServer", "LLMCacheAdmin", "LLMCacheConfig", "LLMCachePlugins",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The command line as a library, so that a binary with third-party plugins can run it.
        .target(
            name: "LLMCacheCLI",
            dependencies: [
                "LLMCacheCore", "LLMCacheStore", "LLMCacheServer", "LLMCacheToolkit", "LLMCacheUpstream", "LLMCacheAdmin",
                "LLMCacheConfig", "LLMCacheMockUpstream", "LLMCacheApp", "LLMCachePlugins", "CSpawn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(name: "llmcache", dependencies: ["LLMCacheCLI"]),
        // Fuzz harnesses (tools/fuzz.sh builds them with libFuzzer; a plain build replays files).
        .executableTarget(
            name: "llmcache-fuzz",
            dependencies: [
                "LLMCacheCore", "LLMCacheStore", "LLMCacheServer", "LLMCacheToolkit", "LLMCacheConfig", "Zstd",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        // L3: the cache several instances share, on PostgreSQL.
        .target(
            name: "LLMCacheShared",
            dependencies: [
                "LLMCacheCore", "LLMCacheStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Test support shared by the server and admin tests: a real mock upstream and proxy.
        .target(
            name: "LLMCacheTestSupport",
            dependencies: [
                "LLMCacheServer", "LLMCacheAdmin", "LLMCacheApp", "LLMCacheConfig", "LLMCacheCore", "LLMCacheUpstream", "LLMCacheMockUpstream",
                "LLMCachePlugins", "CSpawn",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/LLMCacheTestSupport"
        ),
        .testTarget(
            name: "LLMCacheServerTests",
            dependencies: [
                "LLMCacheTestSupport", "LLMCacheServer", "LLMCacheCore", "LLMCacheStore", "LLMCacheUpstream", "LLMCacheToolkit",
                "LLMCachePlugins", "LLMCacheApp", "Gzip",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                "LLMCacheShared",
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "LLMCacheAdminTests",
            dependencies: [
                "LLMCacheTestSupport", "LLMCacheAdmin", "LLMCacheServer", "LLMCacheCore", "LLMCacheStore", "LLMCacheUpstream", "LLMCacheToolkit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "LLMCacheToolkitTests",
            dependencies: [
                "LLMCacheToolkit", "LLMCacheCore", "LLMCacheStore", "LLMCacheUpstream", "Zstd",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "LLMCacheConfigTests", dependencies: ["LLMCacheConfig", "LLMCacheCore"]),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB", "CLMDB"]),
        .testTarget(name: "ZstdTests", dependencies: ["Zstd", "CZstd"]),
        .testTarget(
            name: "LLMCacheSharedTests",
            dependencies: [
                "LLMCacheShared", "LLMCacheTestSupport", "LLMCacheCore", "LLMCacheStore", "LLMCacheServer",
                "LLMCacheToolkit",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "LLMCacheStoreTests",
            dependencies: ["LLMCacheStore", "LLMCacheCore", "LMDB", "Zstd", "LLMCacheTestSupport"],
            swiftSettings: invariantChecks
        ),
        .testTarget(
            name: "LLMCacheCoreTests",
            dependencies: ["LLMCacheCore", "CMallocTrim"],
            swiftSettings: invariantChecks
        ),
    ]
)
