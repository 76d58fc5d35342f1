/// Where a configuration value came from, for error messages: a line of a file, an environment
/// variable or a command-line flag.
public struct ConfigOrigin: Sendable, Equatable, CustomStringConvertible {
    public var source: String
    /// 1-based line in `source` (files only).
    public var line: Int?

    public init(source: String, line: Int? = nil) {
        self.source = source
        self.line = line
    }

    public var description: String { line.map { "\(source) line \($0)" } ?? source }
}

/// A parsed configuration document: the YAML tree with every value's origin, and every scalar
/// kept as text until a reader asks for a type (so that `${VAR}` substitutions are typed too).
public struct ConfigNode: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case null
        /// Text; `quoted` scalars are never read as null.
        case scalar(String, quoted: Bool)
        case mapping([ConfigEntry])
        case sequence([ConfigNode])
    }

    public var kind: Kind
    public var origin: ConfigOrigin

    public init(_ kind: Kind, origin: ConfigOrigin) {
        self.kind = kind
        self.origin = origin
    }

    /// The text of a scalar.
    public var text: String? {
        if case .scalar(let text, _) = kind { return text }
        return nil
    }

    public var entries: [ConfigEntry]? {
        if case .mapping(let entries) = kind { return entries }
        return nil
    }

    /// What kind of value this is, for messages.
    var kindName: String {
        switch kind {
        case .null: "null"
        case .scalar: "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }

    public static func emptyMapping(origin: ConfigOrigin) -> ConfigNode { ConfigNode(.mapping([]), origin: origin) }
}

/// One `key: value` pair of a mapping.
public struct ConfigEntry: Sendable, Equatable {
    public var key: String
    public var value: ConfigNode

    public init(key: String, value: ConfigNode) {
        self.key = key
        self.value = value
    }
}

extension ConfigNode {
    /// This tree with the scalar at `path` (keys) set to `text`, creating mappings on the way;
    /// how environment variables and flags are layered over the file.
    func setting(_ path: ArraySlice<String>, to text: String, origin: ConfigOrigin) -> ConfigNode {
        guard let key = path.first else { return ConfigNode(.scalar(text, quoted: true), origin: origin) }
        var entries = self.entries ?? []
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index].value = entries[index].value.setting(path.dropFirst(), to: text, origin: origin)
        } else {
            let child = ConfigNode.emptyMapping(origin: origin).setting(path.dropFirst(), to: text, origin: origin)
            entries.append(ConfigEntry(key: key, value: child))
        }
        return ConfigNode(.mapping(entries), origin: self.origin)
    }
}
