import ArgumentParser
import LLMCacheCore
import LLMCacheStore
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a steady load into a store, printing each committed batch. Used by the crash-safety
/// test (which kills it mid-load) and handy for filling a store by hand.
struct StoreWriterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store-writer",
        abstract: "Write synthetic entries into a store, printing each committed batch.",
        shouldDisplay: false
    )

    @Option(help: "The store directory.")
    var store: String

    @Option(help: "Durability: full, meta or none.")
    var sync: String = "full"

    @Option(help: "Batches to write.")
    var batches: Int = 1_000

    @Option(help: "Entries per batch.")
    var batchSize: Int = 50

    @Option(help: "Body bytes per entry.")
    var bodyBytes: Int = 2_000

    func run() throws {
        guard let mode = DiskTier.SyncMode(rawValue: sync) else {
            throw ValidationError("--sync must be full, meta or none")
        }
        let tier = try DiskTier(configuration: .init(directory: store, sync: mode))
        let clock = SystemClock()
        for batch in 0..<batches {
            let first = batch * batchSize
            for index in first..<(first + batchSize) {
                tier.put(CacheKey(identifier: UInt64(index)), Self.entry(index, bodyBytes: bodyBytes, at: clock.now()))
            }
            tier.commitPending()
            print("committed \(first) \(first + batchSize - 1)")
            fflush(nil)
        }
    }

    /// The deterministic entry `index` holds; the crash test rebuilds it to compare.
    static func entry(_ index: Int, bodyBytes: Int, at time: Timestamp) -> CacheEntry {
        var body = ByteBuffer()
        let line = "entry \(index) "
        while body.readableBytes < bodyBytes { body.writeString(line) }
        body.moveWriterIndex(to: bodyBytes)
        return CacheEntry(namespace: "load", body: body, createdAt: time)
    }
}
