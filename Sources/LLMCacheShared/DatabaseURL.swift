import LLMCacheCore
import PostgresNIO

/// A `postgres://` URL, read into what the client needs. Rejects what it cannot honour
/// (another scheme, no user, no database, TLS modes beyond disable/prefer/require).
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// The directory holding the server's socket, and the port naming it (`.s.PGSQL.PORT`).
        case socket(directory: String, port: Int)
    }

    public var endpoint: Endpoint
    public var user: String
    public var password: String?
    public var database: String
    /// `sslmode` as libpq reads it: `disable` and `allow` never encrypt; `prefer` (the default)
    /// encrypts when the server offers it; `require`, `verify-ca` and `verify-full` refuse a
    /// server without TLS (and verify its certificate and name).
    public var tls: TLS

    public enum TLS: String, Sendable, Equatable {
        case disable, prefer, require
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ text: String) throws(Invalid) {
        guard let schemeEnd = text.range(of: "://"),
            ["postgres", "postgresql"].contains(text[..<schemeEnd.lowerBound].lowercased())
        else { throw Invalid(description: "shared.postgres.url must start with postgres://") }
        var rest = Substring(text[schemeEnd.upperBound...])
        var query: [String: String] = [:]
        if let mark = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: mark)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                query[String(parts[0]).lowercased()] = parts.count > 1 ? Self.decoded(parts[1]) : ""
            }
            rest = rest[..<mark]
        }
        guard let at = rest.lastIndex(of: "@") else {
            throw Invalid(description: "shared.postgres.url needs a user: postgres://USER@HOST/DATABASE")
        }
        let credentials = rest[..<at]
        let location = rest[rest.index(after: at)...]
        let userParts = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        user = Self.decoded(userParts[0])
        password = userParts.count > 1 ? Self.decoded(userParts[1]) : nil
        guard !user.isEmpty else { throw Invalid(description: "shared.postgres.url has an empty user") }
        guard let slash = location.firstIndex(of: "/"), location.index(after: slash) < location.endIndex else {
            throw Invalid(description: "shared.postgres.url needs a database: postgres://USER@HOST/DATABASE")
        }
        database = Self.decoded(location[location.index(after: slash)...])
        let hostPort = location[..<slash]
        var host = String(hostPort)
        var port = 5432
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            guard let number = Int(hostPort[hostPort.index(after: colon)...]), (1...65_535).contains(number) else {
                throw Invalid(description: "shared.postgres.url has a bad port")
            }
            port = number
            host = String(hostPort[..<colon])
        }
        if let portText = query["port"] {
            guard let number = Int(portText), (1...65_535).contains(number) else {
                throw Invalid(description: "shared.postgres.url has a bad port")
            }
            port = number
        }
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            endpoint = .socket(directory: socketDirectory, port: port)
        } else {
            guard !host.isEmpty else {
                throw Invalid(description: "shared.postgres.url needs a host or ?host=/socket/dir")
            }
            endpoint = .tcp(host: host, port: port)
        }
        switch query["sslmode"] ?? "prefer" {
        case "disable", "allow": tls = .disable
        case "prefer": tls = .prefer
        case "require", "verify-ca", "verify-full": tls = .require
        case let other: throw Invalid(description: "shared.postgres.url: sslmode \(other) is not supported")
        }
    }

    /// The URL with its password replaced, for logs and `/stats`.
    public var description: String {
        let secret = password == nil ? "" : ":***"
        switch endpoint {
        case .tcp(let host, let port): return "postgres://\(user)\(secret)@\(host):\(port)/\(database)"
        case .socket(let directory, let port):
            return "postgres://\(user)\(secret)@/\(database)?host=\(directory)&port=\(port)"
        }
    }

    func clientConfiguration() throws -> PostgresClient.Configuration {
        switch endpoint {
        case .tcp(let host, let port):
            return PostgresClient.Configuration(
                host: host, port: port, username: user, password: password, database: database,
                tls: {
                    switch tls {
                    case .disable: .disable
                    case .prefer: .prefer(.makeClientConfiguration())
                    case .require: .require(.makeClientConfiguration())
                    }
                }())
        case .socket(let directory, let port):
            return PostgresClient.Configuration(
                unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
    }

    /// One connection's configuration (the probe that names why the database cannot be reached).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        switch endpoint {
        case .tcp(let host, let port):
            let context: PostgresConnection.Configuration.TLS
            switch tls {
            case .disable: context = .disable
            case .prefer: context = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: context = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            return PostgresConnection.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: context)
        case .socket(let directory, let port):
            return PostgresConnection.Configuration(
                unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
    }

    private static func decoded(_ text: Substring) -> String {
        PercentEncoding.decode(text) ?? String(text)
    }
}
