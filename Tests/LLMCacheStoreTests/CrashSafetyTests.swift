import LLMCacheTestSupport
import LLMCacheCore
import NIOCore
import Testing

@testable import LLMCacheStore

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct CrashSafetyTests {
    let scratch = ScratchDirectory()

    /// A child process writes batches, reporting each one after its commit returns; while it runs,
    /// this process reads the same store (two processes at once); then the child is killed with
    /// SIGKILL mid-load. Every batch it reported must be there, intact, and no record may be
    /// corrupt. With `sync: none` the same holds: a *process* crash loses nothing committed, the
    /// data is in the kernel's page cache (only a machine crash can lose unsynced batches).
    @Test(arguments: [DiskTier.SyncMode.full, .none])
    func aKilledWriterLosesNothingItReportedCommitted(mode: DiskTier.SyncMode) throws {
        let directory = "\(scratch.path)/crash-\(mode)"
        let bodyBytes = 2_000
        let child = try ChildProcess(
            arguments: [
                try llmcacheExecutable(), "store-writer", "--store", directory, "--sync", mode.rawValue,
                "--batches", "100000", "--batch-size", "50", "--body-bytes", "\(bodyBytes)",
            ], mergeErrors: false)
        var lastCommitted = -1
        var concurrentReads = 0
        while let line = child.readLine() {
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[0] == "committed", let last = Int(fields[2]) else {
                Issue.record("unexpected output: \(line)")
                break
            }
            lastCommitted = last
            if last == 50 * 20 - 1 {
                // Read while the child keeps writing: a second process on the same store.
                let reader = try DiskTier(configuration: .init(directory: directory, sync: mode))
                for index in stride(from: 0, through: last, by: 97)
                where reader.get(CacheKey(identifier: UInt64(index))) != nil {
                    concurrentReads += 1
                }
            }
            if last >= 50 * 60 - 1 { break }
        }
        let status = child.signal(SIGKILL)
        #expect(status & 0x7f == SIGKILL, "the child must die by SIGKILL, mid-load")
        #expect(lastCommitted >= 50 * 60 - 1)
        #expect(concurrentReads == 11, "reads from a second process while the first writes")

        let reopened = try DiskTier(configuration: .init(directory: directory, sync: mode))
        for index in 0...lastCommitted {
            let entry = try #require(
                reopened.get(CacheKey(identifier: UInt64(index))), "entry \(index) was reported committed")
            #expect(entry.body.readableBytes == bodyBytes)
            #expect(entry.body.getString(at: entry.body.readerIndex, length: 7 + "\(index)".count) == "entry \(index) ")
        }
        let (checked, bad) = try reopened.verify()
        #expect(checked >= lastCommitted + 1)
        #expect(bad.isEmpty, "corrupt records after the crash: \(bad.prefix(3))")
    }
}
