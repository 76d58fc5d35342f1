import ArgumentParser
import LLMCacheStore

/// Reads every record of a store, for `serve`'s start-up check: run in a child process, so that
/// a damaged page which crashes LMDB crashes the child, not the server. Exit status: 0 sound,
/// 3 some records bad (they are misses, the store is usable), 4 the store cannot be read.
struct StoreCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store-check",
        abstract: "Read every record of a store (serve runs this in a child process before it starts).",
        shouldDisplay: false)

    @Option(help: "The store directory.")
    var store: String

    func run() throws {
        do {
            let tier = try DiskTier(configuration: .init(directory: store))
            let (_, bad) = try tier.verify()
            if !bad.isEmpty { throw ExitCode(3) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            print("store unreadable: \(error)")
            throw ExitCode(4)
        }
    }
}
