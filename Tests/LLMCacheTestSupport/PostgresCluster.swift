#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL server for a test: `initdb` in a new temporary folder, listening only
/// on a Unix socket in that folder (no port to collide with), trust authentication; ``with(_:)``
/// stops it after the test, and its folder is deleted when it is released. The server's tools
/// run on threads of their own (``onOwnThread(_:)``): `initdb` takes a second or two, and on
/// the cooperative pool that would stall every test on a 2-core machine meanwhile. Run as root (as CI is), the server runs as the `postgres` user, which
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

    private init(binaries: String) {
        self.binaries = binaries
        socketDirectory = scratch.path + "/socket"
        runAs = getuid() == 0 ? "postgres" : nil
    }

    /// Runs `body` with a fresh server, and stops the server after it (whatever `body` did).
    package static func with<T>(_ body: (PostgresCluster) async throws -> T) async throws -> T {
        let cluster = try await started()
        do {
            let value = try await body(cluster)
            await cluster.stop()
            return value
        } catch {
            await cluster.stop()
            throw error
        }
    }

    /// A new cluster, initialised and started; stop it with ``stop()``.
    package static func started() async throws -> PostgresCluster {
        guard let binaries = try await onOwnThread({ findBinaries() }) else {
            throw Failure(description: "PostgreSQL server binaries not found (tools/install-deps.sh installs them)")
        }
        let cluster = PostgresCluster(binaries: binaries)
        mkdir(cluster.socketDirectory, 0o700)
        if let runAs = cluster.runAs, let account = getpwnam(runAs) {
            chown(cluster.directory, account.pointee.pw_uid, account.pointee.pw_gid)
            chown(cluster.socketDirectory, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        try await cluster.run(
            binaries + "/initdb", "-D", cluster.directory + "/data", "-U", cluster.user, "--auth=trust", "--no-sync",
            "-E", "UTF8")
        try await cluster.start()
        return cluster
    }

    /// Starts the server (again); returns once it accepts connections.
    package func start() async throws {
        try await run(
            binaries + "/pg_ctl", "-D", directory + "/data", "-w", "-t", "60", "-l", directory + "/server.log", "-o",
            "-c listen_addresses='' -k \(socketDirectory) -p \(port) -c fsync=off -c full_page_writes=off", "start")
    }

    /// Stops the server at once (`immediate`: like a crash; the data stays for ``start()``).
    package func kill() async throws {
        try await run(binaries + "/pg_ctl", "-D", directory + "/data", "-w", "-m", "immediate", "stop")
    }

    /// Stops the server (its folder goes when the cluster is released).
    package func stop() async {
        try? await run(binaries + "/pg_ctl", "-D", directory + "/data", "-w", "-m", "fast", "stop")
    }

    /// Runs a server binary (as the server's user when we are root); throws with its output when
    /// it fails.
    private func run(_ arguments: String...) async throws {
        let command = runAs.map { ["/usr/sbin/runuser", "-u", $0, "--"] + arguments } ?? arguments
        let (output, status) = try await onOwnThread { () throws -> (String, Int32) in
            let process = try ChildProcess(arguments: command)
            let output = process.readAll()
            return (output, process.wait())
        }
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
