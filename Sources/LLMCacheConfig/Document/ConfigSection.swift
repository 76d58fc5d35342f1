import LLMCacheCore

/// Reads one mapping of a configuration with types and ranges, collecting every problem (with
/// its key path and line) in a shared list, and — on ``finish()`` — the keys nobody asked for.
///
/// Getters never throw: a bad value is reported and the default is returned, so that one pass
/// finds all the issues of a file. Not thread-safe; used while decoding.
public final class ConfigSection {
    public let path: String
    public let origin: ConfigOrigin
    private let entries: [ConfigEntry]
    private let diagnostics: Diagnostics
    private var used: Set<String> = []

    final class Diagnostics {
        var issues: [ConfigIssue] = []
    }

    /// A reader over `node` (a mapping; null reads as an empty mapping).
    public convenience init(_ node: ConfigNode, path: String = "") {
        self.init(node, path: path, diagnostics: Diagnostics())
    }

    init(_ node: ConfigNode, path: String, diagnostics: Diagnostics) {
        self.path = path
        self.origin = node.origin
        self.diagnostics = diagnostics
        switch node.kind {
        case .mapping(let entries): self.entries = entries
        case .null: self.entries = []
        default:
            self.entries = []
            diagnostics.issues.append(
                ConfigIssue(path: path, origin: node.origin, message: "expected a mapping, got \(node.kindName)"))
        }
    }

    /// Issues found so far, by this reader and every reader derived from it.
    public var issues: [ConfigIssue] { diagnostics.issues }

    /// Throws the issues found so far, if any.
    public func check() throws(ConfigError) {
        if !diagnostics.issues.isEmpty { throw ConfigError(diagnostics.issues) }
    }

    public func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Reports a problem with `key` (or with the section itself when `key` is nil).
    public func report(_ key: String?, _ message: String) {
        let node = key.flatMap(lookup)
        diagnostics.issues.append(
            ConfigIssue(path: key.map(childPath) ?? path, origin: node?.origin ?? origin, message: message))
    }

    /// Reports a problem at an explicit path and origin.
    public func report(path: String, origin: ConfigOrigin, _ message: String) {
        diagnostics.issues.append(ConfigIssue(path: path, origin: origin, message: message))
    }

    private func lookup(_ key: String) -> ConfigNode? { entries.first { $0.key == key }?.value }

    /// The raw node at `key` (marked as used); nil when absent or null.
    public func node(_ key: String) -> ConfigNode? {
        used.insert(key)
        guard let node = lookup(key), node.kind != .null else { return nil }
        return node
    }

    public func contains(_ key: String) -> Bool { node(key) != nil }

    /// The keys present, in file order.
    public var keys: [String] { entries.map(\.key) }

    /// The scalar text at `key`, or nil (absent or null). A mapping or list is reported.
    public func text(_ key: String) -> String? {
        guard let node = node(key) else { return nil }
        guard let text = node.text else {
            report(key, "expected a scalar value, got \(node.kindName)")
            return nil
        }
        return text
    }

    public func string(_ key: String) -> String? { text(key) }

    public func string(_ key: String, default value: String) -> String { text(key) ?? value }

    /// A string that must be one of `choices`.
    public func choice(_ key: String, _ choices: [String], default value: String) -> String {
        guard let text = text(key) else { return value }
        guard choices.contains(text) else {
            report(key, "must be one of \(choices.joined(separator: ", ")), got '\(text)'")
            return value
        }
        return text
    }

    public func bool(_ key: String, default value: Bool) -> Bool {
        guard let text = text(key) else { return value }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            report(key, "must be true or false, got '\(text)'")
            return value
        }
    }

    public func int(_ key: String, in range: ClosedRange<Int>) -> Int? {
        number(key, in: range, kind: "a whole number") { Int($0) }
    }

    public func int(_ key: String, default value: Int, in range: ClosedRange<Int>) -> Int {
        int(key, in: range) ?? value
    }

    public func double(_ key: String, in range: ClosedRange<Double>) -> Double? {
        number(key, in: range, kind: "a number") { Double($0).flatMap { $0.isFinite ? $0 : nil } }
    }

    /// A number parsed by `parse` (from the trimmed text) within `range`.
    private func number<T: Comparable>(
        _ key: String, in range: ClosedRange<T>, kind: String, parse: (String) -> T?
    ) -> T? {
        guard let text = text(key) else { return nil }
        guard let number = parse(text.trimmedSpaces) else {
            report(key, "must be \(kind), got '\(text)'")
            return nil
        }
        guard range.contains(number) else {
            report(key, "must be in \(range.lowerBound)...\(range.upperBound), got \(number)")
            return nil
        }
        return number
    }

    /// A size: `268435456`, `512MiB`, `2g` (see `ByteCount`), at least `minimum`.
    public func bytes(_ key: String, minimum: Int = 0) -> Int? {
        guard let text = text(key) else { return nil }
        guard let bytes = ByteCount.parse(text) else {
            report(key, "must be a size such as 268435456, 512MiB or 2GiB, got '\(text)'")
            return nil
        }
        guard bytes >= minimum else {
            report(key, "must be at least \(ByteCount.format(minimum)), got \(ByteCount.format(bytes))")
            return nil
        }
        return bytes
    }

    public func bytes(_ key: String, default value: Int, minimum: Int = 0) -> Int {
        bytes(key, minimum: minimum) ?? value
    }

    /// A duration: `250ms`, `30s`, `5m`, `2h`, `7d`, or plain seconds; within `range`.
    public func duration(_ key: String, in range: ClosedRange<Duration> = .zero...Duration.seconds(100 * 365 * 86_400))
        -> Duration?
    {
        guard let text = text(key) else { return nil }
        guard let duration = ConfigDuration.parse(text) else {
            report(key, "must be a duration such as 250ms, 30s, 5m, 2h or 7d, got '\(text)'")
            return nil
        }
        guard range.contains(duration) else {
            report(
                key,
                "must be between \(ConfigDuration.format(range.lowerBound)) and \(ConfigDuration.format(range.upperBound)), got \(text)"
            )
            return nil
        }
        return duration
    }

    public func duration(
        _ key: String, default value: Duration,
        in range: ClosedRange<Duration> = .zero...Duration.seconds(100 * 365 * 86_400)
    ) -> Duration {
        duration(key, in: range) ?? value
    }

    /// The mapping at `key` (an empty one when absent).
    public func section(_ key: String) -> ConfigSection {
        let node = node(key) ?? .emptyMapping(origin: origin)
        return ConfigSection(node, path: childPath(key), diagnostics: diagnostics)
    }

    /// A reader for a node found inside a list or mapping of this section.
    public func section(for node: ConfigNode, path: String) -> ConfigSection {
        ConfigSection(node, path: path, diagnostics: diagnostics)
    }

    /// The list at `key` (empty when absent); a non-list is reported.
    public func list(_ key: String) -> [(path: String, node: ConfigNode)] {
        guard let node = node(key) else { return [] }
        guard case .sequence(let nodes) = node.kind else {
            report(key, "expected a list, got \(node.kindName)")
            return []
        }
        return nodes.enumerated().map { ("\(childPath(key))[\($0)]", $1) }
    }

    /// A list of strings at `key`.
    public func strings(_ key: String) -> [String] {
        list(key).compactMap { path, node in
            guard let text = node.text else {
                report(path: path, origin: node.origin, "expected a scalar value, got \(node.kindName)")
                return nil
            }
            return text
        }
    }

    /// Reports every key not read, naming the known ones.
    public func finish(known: [String]? = nil) {
        for entry in entries where !used.contains(entry.key) {
            let names = (known ?? used.sorted()).joined(separator: ", ")
            diagnostics.issues.append(
                ConfigIssue(
                    path: childPath(entry.key), origin: entry.value.origin,
                    message: "unknown key (known here: \(names))"))
        }
    }
}
