import CSpawn
import LLMCacheStore
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// What `serve` does about a damaged store before it opens it (LMDB trusts its file; a damaged
/// page is a crash, not an error): the meta pages are checked against the file
/// (``StoreFileCheck``), then every record is read by `llmcache store-check` in a child process.
/// On damage it refuses to start, or — `store.on_damage: move_aside` — moves the store aside and
/// starts with a fresh one.
enum StoreStartCheck {
    /// Why the store at `directory` must not be opened; nil when it may.
    static func damage(directory: String, readsRecords: Bool) -> String? {
        do { try StoreFileCheck.check(directory: directory) } catch { return error.description }
        guard readsRecords, let size = fileSize(directory + "/data.mdb"), size > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let executable = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let arguments = [executable, "store-check", "--store", directory]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        llmcache_spawn_close_from(&actions, 3)
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, executable, &actions, nil, &cArguments, environ) == 0 else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        if signal != 0 && signal != 0x7f {
            return "reading its records crashed a check process (signal \(signal)): its pages are damaged"
        }
        if (status >> 8) & 0xff == 4 { return "its records cannot be read (LMDB reports the file damaged)" }
        return nil
    }

    /// Moves `directory` aside (to `directory.damaged-SECONDS`); the new path.
    static func moveAside(_ directory: String) throws -> String {
        var trimmed = directory
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        let target = trimmed + ".damaged-\(time(nil))"
        guard rename(trimmed, target) == 0 else {
            throw RecordError("cannot move \(trimmed) aside: \(String(cString: strerror(errno)))")
        }
        return target
    }

    private static func fileSize(_ path: String) -> Int? {
        var status = stat()
        return stat(path, &status) == 0 ? Int(status.st_size) : nil
    }
}
