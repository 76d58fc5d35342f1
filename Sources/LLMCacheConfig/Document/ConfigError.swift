/// One thing wrong with a configuration: the key path (`listen.port`, `plugins[1].settings.path`),
/// where the value came from, and what is wrong.
public struct ConfigIssue: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var origin: ConfigOrigin
    public var message: String

    public init(path: String, origin: ConfigOrigin, message: String) {
        self.path = path
        self.origin = origin
        self.message = message
    }

    public var description: String {
        path.isEmpty ? "\(origin): \(message)" : "\(path) (\(origin)): \(message)"
    }
}

/// A configuration that cannot be used; lists every issue found, not only the first.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var issues: [ConfigIssue]

    public init(_ issues: [ConfigIssue]) { self.issues = issues }

    public init(path: String, origin: ConfigOrigin, _ message: String) {
        self.issues = [ConfigIssue(path: path, origin: origin, message: message)]
    }

    public var description: String {
        issues.count == 1
            ? "invalid configuration: \(issues[0])"
            : "invalid configuration (\(issues.count) issues):\n" + issues.map { "  - \($0)" }.joined(separator: "\n")
    }
}
