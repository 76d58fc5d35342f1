// Compression ratios of zstd (level 3) on a deterministic corpus of realistic LLM response
// bodies, per kind, without and with a dictionary trained on a separate part of the corpus;
// then the same corpus through a real DiskTier (whole records: header, metadata, body).
//
// usage: CompressionReport [bodies]

#if canImport(Glibc)
    import Glibc
#endif
import BenchmarkCorpus
import LLMCacheCore
import LLMCacheStore
import NIOCore
import Zstd

let total = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 6_000 : 6_000
var corpus = ResponseCorpus(seed: 2026)
let bodies = corpus.bodies(count: total)
let training = bodies.prefix(total / 3).map(\.1)
let evaluation = Array(bodies.dropFirst(total / 3))

let dictionary = try ZstdDictionary(bytes: try ZstdDictionary.train(samples: Array(training), capacity: 64 * 1024))
let compressor = try ZstdCompressor(level: 3)

struct Tally {
    var count = 0
    var raw = 0
    var plain = 0
    var withDictionary = 0

    var plainRatio: Double { Double(raw) / Double(max(plain, 1)) }
    var dictionaryRatio: Double { Double(raw) / Double(max(withDictionary, 1)) }
}

func format(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
}

var byKind: [String: Tally] = [:]
var small = Tally()
var all = Tally()
for (kind, body) in evaluation {
    let plain = try compressor.compress(body).count
    let withDictionary = try compressor.compress(body, dictionary: dictionary).count
    for label in [kind.rawValue] {
        byKind[label, default: Tally()].count += 1
        byKind[label, default: Tally()].raw += body.count
        byKind[label, default: Tally()].plain += plain
        byKind[label, default: Tally()].withDictionary += withDictionary
    }
    all.count += 1
    all.raw += body.count
    all.plain += plain
    all.withDictionary += withDictionary
    if (1024...2048).contains(body.count) {
        small.count += 1
        small.raw += body.count
        small.plain += plain
        small.withDictionary += withDictionary
    }
}

print(
    "corpus: \(total) bodies (\(training.count) train the dictionary, \(evaluation.count) measured), dictionary \(dictionary.bytes.count) bytes"
)
print("| bodies | count | mean size | zstd-3 | zstd-3 + dictionary |")
print("|---|---|---|---|---|")
for kind in BodyKindLabel.allCases {
    let tally = byKind[kind.rawValue]!
    print(
        "| \(kind.rawValue) | \(tally.count) | \(tally.raw / tally.count) B | \(format(tally.plainRatio))× | \(format(tally.dictionaryRatio))× |"
    )
}
print(
    "| 1–2 KiB bodies (all kinds) | \(small.count) | \(small.raw / max(small.count, 1)) B | \(format(small.plainRatio))× | \(format(small.dictionaryRatio))× |"
)
print(
    "| all | \(all.count) | \(all.raw / all.count) B | \(format(all.plainRatio))× | \(format(all.dictionaryRatio))× |")

// The same bodies through a DiskTier: whole records, before and after `train-dict`.
var template = Array("/tmp/llmcache-ratio-XXXXXX".utf8CString)
_ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
let directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
defer { _ = system("rm -rf '\(directory)'") }
let tier = try DiskTier(configuration: .init(directory: directory + "/store"))
for (index, body) in training.enumerated() {
    tier.put(
        CacheKey(identifier: UInt64(index)), CacheEntry(body: ByteBuffer(bytes: body), createdAt: SystemClock().now()))
}
tier.commitPending()
let beforeStats = tier.stats
_ = try tier.trainDictionary(sampleLimit: training.count)
for (index, (_, body)) in evaluation.enumerated() {
    tier.put(
        CacheKey(identifier: UInt64(1_000_000 + index)),
        CacheEntry(body: ByteBuffer(bytes: body), createdAt: SystemClock().now()))
}
tier.commitPending()
let afterStats = tier.stats
let newRaw = afterStats.rawBytes - beforeStats.rawBytes
let newStored = afterStats.bytes - beforeStats.bytes
print(
    "DiskTier records: \(format(beforeStats.compressionRatio))× without a dictionary, \(format(Double(newRaw) / Double(newStored)))× with the trained one"
)
