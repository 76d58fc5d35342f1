import CSpawn

#if canImport(Glibc)
    import Glibc
#endif

/// A child process with its standard output (and error, unless `mergeErrors` is false) on a
/// pipe, for the tests that run the `llmcache` executable.
package final class ChildProcess: @unchecked Sendable {
    package let pid: pid_t
    private let output: UnsafeMutablePointer<FILE>

    /// `environment` is added to this process's, without its `LLMCACHE_` variables.
    package init(arguments: [String], environment: [String: String] = [:], mergeErrors: Bool = true) throws {
        var pipeEnds: [Int32] = [0, 0]
        // Close-on-exec: a child spawned by another test at the same moment must not inherit this
        // pipe (a server it leaves behind would hold the output open, and the reader here would
        // block a thread of the cooperative pool forever).
        guard llmcache_pipe_cloexec(&pipeEnds) == 0 else { throw ChildProcessError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        if mergeErrors { posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2) }
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        // The write end only as 1 (and 2), and nothing else of this process (its sockets, files,
        // other tests' pipes): a child that leaves a daemon behind (pg_ctl start) must not hand
        // it the pipe, or the output never ends.
        posix_spawn_file_actions_addclose(&actions, pipeEnds[1])
        llmcache_spawn_close_from(&actions, 3)
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
        guard status == 0 else { throw ChildProcessError("posix_spawn \(arguments[0]) failed: \(status)") }
        self.pid = pid
        self.output = fdopen(pipeEnds[0], "r")
    }

    deinit { fclose(output) }

    package func readAll() -> String {
        var text = ""
        while let line = readLine() { text += line + "\n" }
        return text
    }

    /// Lines until one contains `marker` (nil at end of output).
    package func readLine(containing marker: String) -> String? {
        while let line = readLine() {
            if line.contains(marker) { return line }
        }
        return nil
    }

    /// The next line of output without its newline; nil at end of output.
    package func readLine() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard fgets(&buffer, 4096, output) != nil else { return nil }
        var line = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        while line.last == "\n" { line.removeLast() }
        return line
    }

    /// The exit status (waitpid's).
    package func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    package func terminate() { _ = signal(SIGTERM) }

    /// Sends `signal` and waits; the exit status.
    package func signal(_ signal: Int32) -> Int32 {
        kill(pid, signal)
        return wait()
    }
}

package struct ChildProcessError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}

/// The `llmcache` executable beside the test binary (SwiftPM builds both into one folder).
package func llmcacheExecutable() throws -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard length > 0 else { throw ChildProcessError("cannot read /proc/self/exe") }
    let path = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    var directory = path
    while let last = directory.last, last != "/" { directory.removeLast() }
    // The test binary may sit inside a .xctest bundle directory on some layouts.
    for candidate in [directory + "llmcache", directory + "../llmcache"] where access(candidate, X_OK) == 0 {
        return candidate
    }
    throw ChildProcessError("llmcache executable not found next to \(path); run `swift build` first")
}
