// swift-tools-version: 6.1
import PackageDescription

// A nested package so that `swift build` / `swift test` of llmcache never build the benchmark
// tooling. Run from this folder: `swift package benchmark` (see README "Performance").
let package = Package(
    name: "llmcache-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "MemoryTierBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "LLMCacheCore", package: "main"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/MemoryTierBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "DiskTierBenchmarks",
            dependencies: [
                "BenchmarkCorpus",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "LLMCacheCore", package: "main"),
                .product(name: "LLMCacheStore", package: "main"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/DiskTierBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "HitPathBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "LLMCacheCore", package: "main"),
                .product(name: "LLMCacheServer", package: "main"),
                .product(name: "LLMCacheUpstream", package: "main"),
                .product(name: "LLMCacheMockUpstream", package: "main"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/HitPathBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .target(name: "BenchmarkCorpus", path: "Sources/BenchmarkCorpus"),
        .executableTarget(
            name: "CompressionReport",
            dependencies: [
                "BenchmarkCorpus",
                .product(name: "LLMCacheCore", package: "main"),
                .product(name: "LLMCacheStore", package: "main"),
                .product(name: "Zstd", package: "main"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/CompressionReport"
        ),
        .executableTarget(
            name: "MemoryOverhead",
            dependencies: [
                .product(name: "LLMCacheCore", package: "main"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/MemoryOverhead"
        ),
    ]
)
