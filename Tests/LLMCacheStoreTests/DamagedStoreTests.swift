import LLMCacheTestSupport
import LLMCacheCore
import Testing

@testable import LLMCacheStore

#if canImport(Glibc)
    import Glibc
#endif

/// A damaged `data.mdb` is an error at open, never a SIGBUS mid-request; `serve` refuses it, or
/// moves it aside when told to.
@Suite struct DamagedStoreTests {
    let scratch = ScratchDirectory()

    /// A store with `count` committed entries, closed again.
    func filledStore(_ directory: String, count: Int = 300) async throws {
        let tier = try DiskTier(configuration: .init(directory: directory))
        for index in 0..<count { tier.put(key(index), chatEntry(index)) }
        try await tier.flush()
    }

    func truncate(_ path: String, to size: Int) {
        #expect(Glibc.truncate(path, off_t(size)) == 0)
    }

    @Test func aSoundOrNewStorePasses() async throws {
        try StoreFileCheck.check(directory: scratch.path + "/none")
        try await filledStore(scratch.path + "/store")
        try StoreFileCheck.check(directory: scratch.path + "/store")
        _ = try DiskTier(configuration: .init(directory: scratch.path + "/store"))
    }

    @Test func aTruncatedStoreIsAClearErrorNotACrash() async throws {
        let directory = scratch.path + "/store"
        try await filledStore(directory)
        truncate(directory + "/data.mdb", to: 3 * 4096)
        let error = try #require(throws: RecordError.self) { try StoreFileCheck.check(directory: directory) }
        #expect(error.message.contains("damaged") && error.message.contains("truncated"))
        #expect(throws: RecordError.self) { try DiskTier(configuration: .init(directory: directory)) }
    }

    @Test func aFileThatIsNotAStoreIsRefused() throws {
        let directory = scratch.path + "/store"
        #expect(mkdir(directory, 0o755) == 0)
        var random = SplitMix64(seed: 11)
        let bytes = (0..<(64 << 10)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let file = fopen(directory + "/data.mdb", "w")!
        fwrite(bytes, 1, bytes.count, file)
        fclose(file)
        let error = try #require(throws: RecordError.self) { try StoreFileCheck.check(directory: directory) }
        #expect(error.message.contains("not an LMDB store"))
    }

    /// The command line: `serve` on a truncated store exits with the reason; with
    /// `store.on_damage: move_aside` it keeps the damaged store beside and starts fresh.
    @Test func serveRefusesADamagedStoreOrMovesItAside() async throws {
        let directory = scratch.path + "/store"
        try await filledStore(directory)
        truncate(directory + "/data.mdb", to: 3 * 4096)
        let executable = try llmcacheExecutable()
        let arguments = [
            executable, "serve", "--store", directory, "--port", "0", "--no-admin", "--upstream",
            "http://127.0.0.1:1",
        ]
        let refused = try ChildProcess(arguments: arguments, environment: [:])
        let output = refused.readAll()
        #expect(refused.wait() != 0)
        #expect(output.contains("is damaged"), "\(output)")
        #expect(access(directory + "/data.mdb", F_OK) == 0, "a refused store is left where it was")

        let started = try ChildProcess(arguments: arguments, environment: ["LLMCACHE_STORE_ON_DAMAGE": "move_aside"])
        let banner = started.readLine(containing: "llmcache listening")
        started.terminate()
        #expect(banner != nil, "the proxy started on a fresh store")
        let moved = listDirectory(scratch.path).filter { $0.hasPrefix("store.damaged-") }
        #expect(moved.count == 1, "\(listDirectory(scratch.path))")
    }
}

func listDirectory(_ path: String) -> [String] {
    guard let directory = opendir(path) else { return [] }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) {
            String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}
