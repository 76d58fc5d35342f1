#if canImport(Glibc)
    import Glibc
#endif

/// Runs python3 with `arguments` from the package root, `environment` added; its standard
/// output and error, and its exit status. The blocking reads run on a thread of their own: on the
/// cooperative pool or NIO's thread pool they could starve the proxy the script is talking to
/// (seen: the suite hung).
package func runPython(_ arguments: [String], environment: [String: String] = [:]) async throws -> (
    output: String, status: Int32
) {
    func quoted(_ text: String) -> String {
        "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
    let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\(quoted($0.value))" }
    let command =
        (assignments.isEmpty ? "" : "env " + assignments.joined(separator: " ") + " ")
        + (["python3"] + arguments).map(quoted).joined(separator: " ") + " 2>&1"
    return try await onOwnThread { () -> (String, Int32) in
        guard let pipe = popen(command, "r") else { return ("cannot start python3", -1) }
        var output = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, 4096, pipe) != nil {
            output += buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
        let status = pclose(pipe)
        return (output, status)
    }
}
