#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL server for a test: `initdb` in a new temporary folder, listening only
/// on a Unix socket in that folder (no port to collide with), trust authentication, stopped by
/// ``stop()`` and deleted when released. Run as root (as CI is), the server runs as the `postgres` user, which
/// Debian's package creates. Finds the server binaries with `pg_config --bindir`, or under
/// /usr/lib/postgresql.
package final class PostgresCluster: @unchecked Sendable {
    /// Deleted (with the cluster's files) when the cluster is released.
    private let scratch = ScratchDirectory()
    package var directory: String { scratch.path }
    package let socketDirectory: String
    package let port = 5432
    package let user = "llmcache"
    package let database = "postgres"
    private let binaries: String
    private let runAs: String?

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    /// `postgres://llmcache@/postgres?host=SOCKET_DIR&port=5432`
    package var url: String { "postgres://\(user)@/\(database)?host=\(socketDirectory)&port=\(port)" }

    package init() throws {
        guard let binaries = Self.findBinaries() else {
            throw Failure(description: "PostgreSQL server binaries not found (tools/install-deps.sh installs them)")
        }
        self.binaries = binaries
        socketDirectory = scratch.path + "/socket"
        runAs = getuid() == 0 ? "postgres" : nil
        mkdir(socketDirectory, 0o700)
        if let runAs, let account = getpwnam(runAs) {
            chown(directory, account.pointee.pw_uid, account.pointee.pw_gid)
            chown(socketDirectory, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        try run(
            binaries + "/initdb", "-D", directory + "/data", "-U", user, "--auth=trust", "--no-sync", "-E", "UTF8")
        try start()
    }

    /// Starts the server (again); returns once it accepts connections.
    package func start() throws {
        try run(
            binaries + "/pg_ctl", "-D", directory + "/data", "-w", "-t", "60", "-l", directory + "/server.log", "-o",
            "-c listen_addresses='' -k \(socketDirectory) -p \(port) -c fsync=off -c full_page_writes=off", "start")
    }

    /// Stops the server at once (`immediate`: like a crash; the data stays for ``start()``).
    package func kill() throws {
        try run(binaries + "/pg_ctl", "-D", directory + "/data", "-w", "-m", "immediate", "stop")
    }

    /// Stops the server (its folder goes when the cluster is released).
    package func stop() {
        try? run(binaries + "/pg_ctl", "-D", directory + "/data", "-w", "-m", "fast", "stop")
    }

    /// Runs a server binary (as the server's user when we are root); throws with its output when
    /// it fails.
    private func run(_ arguments: String...) throws {
        let command = runAs.map { ["/usr/sbin/runuser", "-u", $0, "--"] + arguments } ?? arguments
        let process = try ChildProcess(arguments: command)
        let output = process.readAll()
        let status = process.wait()
        guard status == 0 else {
            throw Failure(
                description: "\(arguments.joined(separator: " ")) failed (\(status)): \(output.suffix(2_000))")
        }
    }

    private static func findBinaries() -> String? {
        if let process = try? ChildProcess(arguments: ["/usr/bin/env", "pg_config", "--bindir"]) {
            let output = process.readAll().split(separator: "\n").first.map(String.init)
            if process.wait() == 0, let output, access(output + "/initdb", X_OK) == 0 { return output }
        }
        for version in (12...20).reversed() {
            let candidate = "/usr/lib/postgresql/\(version)/bin"
            if access(candidate + "/initdb", X_OK) == 0 { return candidate }
        }
        return nil
    }
}
