import ArgumentParser
import LLMCacheStore

struct TrainDictionaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-dict",
        abstract: "Train a zstd dictionary from a store's records and use it for new writes.",
        discussion: """
            Samples up to --samples stored records, trains a dictionary of at most --size bytes, \
            stores it in the store and makes it the dictionary for new writes. Records written \
            before keep the dictionary (or none) they were written with and stay readable. Stop \
            the server first: a store is opened by one llmcache process at a time for writing.
            """
    )

    @Option(help: "The store directory.")
    var store: String

    @Option(help: "Records to sample (10...1000000).")
    var samples: Int = 5_000

    @Option(help: "Maximum dictionary size in bytes (1024...1048576).")
    var size: Int = 64 * 1024

    func validate() throws {
        guard (10...1_000_000).contains(samples) else { throw ValidationError("--samples must be in 10...1000000") }
        guard (1024...1_048_576).contains(size) else { throw ValidationError("--size must be in 1024...1048576") }
    }

    func run() throws {
        let tier = try DiskTier(configuration: .init(directory: store))
        let before = tier.stats
        let id = try tier.trainDictionary(sampleLimit: samples, capacity: size)
        print("trained dictionary \(id) from up to \(samples) of \(before.entries) records; new writes use it")
    }
}
