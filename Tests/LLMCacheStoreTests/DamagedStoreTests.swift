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

/// A child process with standard output and error on one pipe.
final class ChildProcess {
    let pid: pid_t
    private let output: UnsafeMutablePointer<FILE>

    init(arguments: [String], environment: [String: String]) throws {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw RecordError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var inherited: [String] = []
        var index = 0
        while let entry = environ[index] {
            inherited.append(String(cString: entry))
            index += 1
        }
        var cEnvironment =
            (inherited.filter { !$0.hasPrefix("LLMCACHE_") } + environment.map { "\($0.key)=\($0.value)" })
            .map { strdup($0) } + [nil]
        defer { for entry in cEnvironment { free(entry) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, nil, &cArguments, &cEnvironment)
        close(pipeEnds[1])
        guard status == 0 else { throw RecordError("posix_spawn \(arguments[0]) failed: \(status)") }
        self.pid = pid
        self.output = fdopen(pipeEnds[0], "r")
    }

    deinit { fclose(output) }

    func readAll() -> String {
        var text = ""
        while let line = readLine() { text += line }
        return text
    }

    /// Lines until one contains `marker` (nil at end of output).
    func readLine(containing marker: String) -> String? {
        while let line = readLine() {
            if line.contains(marker) { return line }
        }
        return nil
    }

    private func readLine() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard fgets(&buffer, 4096, output) != nil else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// The exit status (waitpid's).
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    func terminate() {
        kill(pid, SIGTERM)
        _ = wait()
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
